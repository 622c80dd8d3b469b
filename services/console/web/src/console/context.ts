// What every view of the console gets: who is signed in and what the page may offer them.

export interface Me {
  subject: string;
  district: string;
  roles: string[];
  expires_at: number;
  capabilities: Record<string, boolean>;
  sees_personal_data: boolean;
}

export interface Ctx {
  me: Me;
  /** Whether the page offers an action (the services refuse it anyway when the role lacks it). */
  can(action: string): boolean;
}

/** What to do when the person leaves a view (stop streams, remove the map); null for nothing. */
export type Cleanup = (() => void) | null;

/** A view renders into its root. */
export type View = (root: HTMLElement, ctx: Ctx) => Cleanup;

export function context(me: Me): Ctx {
  return { me, can: (action) => me.capabilities[action] === true };
}
