export interface Config {
  techdocs?: {
    generator?: {
      mkdocs?: {
        /**
         * Read by @backstage/plugin-techdocs-node (it then leaves the
         * techdocs-core MkDocs plugin out of the build) but missing from the
         * TechDocs backend's schema, so config:check --strict refused it. This
         * app builds docs with Debian's mkdocs, which has no techdocs-core.
         */
        omitTechdocsCorePlugin?: boolean;
      };
    };
  };
}
