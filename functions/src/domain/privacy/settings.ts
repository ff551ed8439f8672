import { z } from 'zod';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/**
 * The company's privacy settings (LCH-6): whether sensitive customer data is masked everywhere an
 * agent sees it. Off until an admin turns it on, as in the product.
 */
export const PrivacySettings = z.lazy(() =>
  z.strictObject({
    maskSensitiveData: z.boolean(),
  }),
);
export type PrivacySettings = z.infer<typeof PrivacySettings>;

export const DEFAULT_PRIVACY_SETTINGS: PrivacySettings = { maskSensitiveData: false };
