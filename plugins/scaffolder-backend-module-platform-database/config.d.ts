export interface Config {
  platform?: {
    /**
     * The PostgreSQL servers platform:database:* actions create databases
     * on, by the name templates use for them. The admin user needs
     * CREATEROLE and CREATEDB and nothing more (see the module's README).
     */
    databases?: {
      [server: string]: {
        /** Host name or address Backstage connects to. */
        host: string;
        /** Default 5432. */
        port?: number;
        /** The role Backstage creates roles and databases as. */
        adminUser: string;
        /**
         * Its password; write it as ${SOME_ENV} in app-config.
         * @visibility secret
         */
        adminPassword: string;
        /** The database Backstage connects to for its work. Default postgres. */
        adminDatabase?: string;
        /**
         * The host services connect to, written into their Secret, when it
         * differs from host (an in-cluster DNS name). Default host.
         */
        serviceHost?: string;
        /** The port services connect to, when it differs. Default port. */
        servicePort?: number;
        /** How connections, Backstage's and the services', use TLS. */
        tls?: {
          /**
           * verify-full (default): TLS with the server's certificate checked
           * against ca and its host name; require: TLS without checks;
           * disable: no TLS (a server on loopback only).
           */
          mode?: 'verify-full' | 'require' | 'disable';
          /** The CA certificate (PEM) the server's certificate is checked against; default the system's CAs. */
          ca?: string;
        };
      };
    };
  };
}
