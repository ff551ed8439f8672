export interface QueueDirectory {
  /** The teams assigned to a queue: they, and whoever has all teams, may supervise its sessions. */
  teamsOfQueue(queueId: string): Promise<string[]>;
}
