import type { Firestore } from '@google-cloud/firestore';
import type { Booking, ScheduledCallBook } from '../../ports/scheduled-calls.js';

/** `scheduledCalls/{queueId}__{start}`: the slot's id is its document id, so a slot holds one booking. */
export class FirestoreScheduledCallBook implements ScheduledCallBook {
  constructor(private readonly db: Firestore) {}

  async booked(queueId: string, from: number, until: number): Promise<Set<number>> {
    const snapshot = await this.db
      .collection('scheduledCalls')
      .where('queueId', '==', queueId)
      .where('start', '>=', from)
      .where('start', '<', until)
      .select('start')
      .get();
    return new Set(snapshot.docs.map((d) => d.get('start') as number));
  }

  book(booking: Booking, at: Date): Promise<'booked' | 'already_booked' | 'taken'> {
    const ref = this.db
      .collection('scheduledCalls')
      .doc(`${booking.queueId}__${new Date(booking.start).toISOString()}`);
    return this.db.runTransaction(async (t) => {
      const current = await t.get(ref);
      if (current.exists) return current.get('bookingId') === booking.bookingId ? 'already_booked' : 'taken';
      t.create(ref, { ...booking, bookedAt: at.toISOString() });
      return 'booked';
    });
  }
}
