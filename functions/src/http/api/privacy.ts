import { readPrivacySettings, savePrivacySettings } from '../../app/admin/privacy.js';
import { authorizeOrThrow } from '../../app/supervision/deps.js';
import { PrivacySettings } from '../../domain/privacy/settings.js';
import { route, type Route } from '../router.js';
import type { AdminApiDeps } from './admin.js';

export const PrivacySettingsAnswer = PrivacySettings;

/** The company's privacy settings (LCH-6): whether agents and supervisors see customer data masked. */
export function privacySettingsRoutes(deps: AdminApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/settings/privacy',
      {
        operationId: 'readPrivacySettings',
        summary: 'Whether sensitive customer data is masked for agents and supervisors.',
        security: ['idToken'],
        answers: { 200: PrivacySettingsAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: PrivacySettingsAnswer.parse(await readPrivacySettings(deps.admin(), actor)),
        };
      },
    ),
    route(
      'PUT',
      '/v1/settings/privacy',
      {
        operationId: 'savePrivacySettings',
        summary: 'Turn masking of sensitive customer data on or off.',
        security: ['idToken'],
        body: PrivacySettings,
        bodyName: 'The privacy settings',
        answers: { 200: PrivacySettingsAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        // Before the body is read: a refused caller costs no parsing.
        authorizeOrThrow(actor, { type: 'settings.edit' });
        const settings = req.body();
        return {
          status: 200,
          body: PrivacySettingsAnswer.parse(await savePrivacySettings(deps.admin(), actor, settings)),
        };
      },
    ),
  ];
}
