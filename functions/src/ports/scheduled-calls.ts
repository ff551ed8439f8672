export interface Booking {
  bookingId: string;
  queueId: string;
  start: number;
  end: number;
  language: string;
  callerNumber: string;
  sessionId?: string;
}

export interface ScheduledCallBook {
  /** Starts of the booked slots of a queue in [from, until). */
  booked(queueId: string, from: number, until: number): Promise<Set<number>>;
  /** One booking per slot, decided atomically; the same booking again is `already_booked`. */
  book(booking: Booking, at: Date): Promise<'booked' | 'already_booked' | 'taken'>;
}
