export interface Config {
  platform?: {
    catalog?: {
      /**
       * The lifecycle stages that `spec.lifecycle` of Components, APIs and
       * Resources may take, in order. Defaults to experimental, development,
       * production, deprecated.
       */
      lifecycles?: string[];
    };
  };
}
