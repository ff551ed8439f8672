import {
  isFinished,
  planIdFor,
  purgedOrphan,
  purgeTimeFor,
  stepForPurgeTask,
} from '../../domain/recordings/plan.js';
import { logs } from '../../log.js';
import type { RecordingPipelineDeps } from './deps.js';
import { planRecording } from './plan-recording.js';
import { deleteUploaded, purge } from './upload-tasks.js';

/** An object this old with no plan was missed by both announcements: the sweep plans it. */
export const ORPHAN_GRACE_MS = 15 * 60_000;
const OVERDUE_BATCH = 100;
/** One sweep stops after this many overdue plans; the next sweep, an hour later, goes on. */
const MAX_OVERDUE_PER_SWEEP = 5_000;

export interface SweepSummary {
  overduePurged: number;
  overdueDeleted: number;
  orphansPlanned: number;
  orphansPurged: number;
  leftoversDeleted: number;
  objectsSeen: number;
}

/**
 * The hourly safety net of REC-3, for when tasks did not run (the queue gave up, a worker never
 * came back, an announcement was lost): overdue plans are purged; objects without a plan are planned,
 * or purged when they are already due; objects whose plan is finished are deleted again.
 */
export async function sweep(deps: RecordingPipelineDeps): Promise<SweepSummary> {
  const summary: SweepSummary = {
    overduePurged: 0,
    overdueDeleted: 0,
    orphansPlanned: 0,
    orphansPurged: 0,
    leftoversDeleted: 0,
    objectsSeen: 0,
  };

  for (let seen = 0; seen < MAX_OVERDUE_PER_SWEEP;) {
    const overdue = await deps.plans.overdue(deps.clock.now(), OVERDUE_BATCH);
    for (const plan of overdue) {
      const step = stepForPurgeTask(plan, deps.clock.now());
      if (step.do === 'delete') {
        await deleteUploaded(deps, plan);
        summary.overdueDeleted++;
      } else if (step.do === 'purge') {
        await purge(deps, plan, 'deadline');
        summary.overduePurged++;
      }
    }
    seen += overdue.length;
    if (overdue.length < OVERDUE_BATCH) break;
  }

  let pageToken: string | undefined;
  do {
    const page = await deps.blobs.list(deps.bucket, '', pageToken);
    for (const object of page.objects) {
      summary.objectsSeen++;
      const now = deps.clock.now();
      const plan = await deps.plans.get(planIdFor(object));
      if (plan) {
        if (isFinished(plan)) {
          // Deleted or purged, yet here: a deletion that did not take. That generation only.
          if ((await deps.blobs.delete(object.bucket, object.name, object.generation)) === 'deleted')
            summary.leftoversDeleted++;
        }
        continue;
      }
      if (now >= purgeTimeFor(object.createdAt)) {
        const { bucket, name, generation, sizeBytes } = object;
        const result = await deps.blobs.delete(bucket, name, generation);
        const record = purgedOrphan({ bucket, name, generation, sizeBytes }, object.createdAt, now);
        await deps.plans.create(record);
        logs.recordingPurged({
          planId: record.id,
          reason: 'orphaned_object',
          partsAcknowledged: 0,
          partCount: 0,
          objectWas: result,
        });
        summary.orphansPurged++;
      } else if (now.getTime() - object.createdAt.getTime() >= ORPHAN_GRACE_MS) {
        const planned = await planRecording(deps, {
          bucket: object.bucket,
          name: object.name,
          generation: object.generation,
          source: 'sweep',
        });
        if (planned.outcome === 'created') summary.orphansPlanned++;
      }
    }
    pageToken = page.nextPageToken;
  } while (pageToken);

  logs.sweepCompleted({ ...summary });
  return summary;
}
