export interface Config {
  platform?: {
    /** The platform's default permission policy. */
    permissions?: {
      /**
       * Entity refs of groups whose members may do anything, such as
       * group:default/team-platform. Default none.
       */
      adminGroups?: string[];
      /**
       * Which scaffolder runs a user who is not an admin may read: `all`, or
       * `team` for the runs that they or a member of one of their groups
       * started. Default team.
       */
      runVisibility?: 'all' | 'team';
    };
  };
}
