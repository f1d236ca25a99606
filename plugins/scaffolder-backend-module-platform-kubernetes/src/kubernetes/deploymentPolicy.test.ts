import { InputError } from '@backstage/errors';
import {
  assertDeploymentPolicy,
  DEFAULT_DEPLOYMENT_POLICY,
  DeploymentPolicySettings,
  findPolicyViolations,
  PodSecurityLevel,
  podSecurityLabels,
} from './deploymentPolicy';
import { Manifest } from './manifests';

const POD_SPEC = 'spec.template.spec';
const APP = `${POD_SPEC}.containers[0]`;
const APP_SC = `${APP}.securityContext`;

/**
 * The golden path's shared/kubernetes/deployment.yaml, service.yaml and
 * ingress/ingress.yaml as the microservice template renders them for a
 * service named payments with one runtime dependency.
 */
function goldenDeployment(): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'payments',
      namespace: 'payments',
      labels: {
        'app.kubernetes.io/name': 'payments',
        'app.kubernetes.io/part-of': 'payments',
        'backstage.io/kubernetes-id': 'payments',
      },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'payments' } },
      strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': 'payments',
            'backstage.io/kubernetes-id': 'payments',
          },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'payments',
              image: 'ghcr.io/acme/payments:main',
              imagePullPolicy: 'Always',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'PORT', value: '8080' },
                {
                  name: 'LEDGER_URL',
                  value: 'http://ledger.ledger.svc.cluster.local',
                },
              ],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
              readinessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                initialDelaySeconds: 10,
                periodSeconds: 10,
                failureThreshold: 3,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

function goldenService(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'payments',
      namespace: 'payments',
      labels: {
        'app.kubernetes.io/name': 'payments',
        'backstage.io/kubernetes-id': 'payments',
      },
    },
    spec: {
      selector: { 'app.kubernetes.io/name': 'payments' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}

function goldenIngress(): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'payments',
      namespace: 'payments',
      labels: {
        'app.kubernetes.io/name': 'payments',
        'backstage.io/kubernetes-id': 'payments',
      },
    },
    spec: {
      tls: [
        { hosts: ['payments.apps.example.com'], secretName: 'payments-tls' },
      ],
      rules: [
        {
          host: 'payments.apps.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: 'payments', port: { name: 'http' } },
                },
              },
            ],
          },
        },
      ],
    },
  };
}

const SETTINGS: DeploymentPolicySettings = {
  ...DEFAULT_DEPLOYMENT_POLICY,
  ingressDomain: 'apps.example.com',
};

function violations(
  manifests: Manifest[],
  settings: Partial<DeploymentPolicySettings> = {},
) {
  return findPolicyViolations({
    manifests,
    service: 'payments',
    settings: { ...SETTINGS, ...settings },
  });
}

/** The golden Deployment with its pod template changed by `change`. */
function deploymentWith(change: (pod: any, template: any) => void): Manifest {
  const deployment = goldenDeployment();
  change(deployment.spec.template.spec, deployment.spec.template);
  return deployment;
}

function manifestWith(
  manifest: Manifest,
  change: (spec: any, metadata: Manifest['metadata']) => void,
): Manifest {
  change(manifest.spec, manifest.metadata);
  return manifest;
}

/** Only the fields, which is what most rows of a table are about. */
function fieldsOf(manifests: Manifest[], settings = {}): string[] {
  return violations(manifests, settings).map(v => v.field);
}

describe('findPolicyViolations', () => {
  it.each<PodSecurityLevel>(['restricted', 'baseline', 'privileged'])(
    'passes the golden path at %s',
    podSecurity => {
      expect(
        violations([goldenDeployment(), goldenService(), goldenIngress()], {
          podSecurity,
        }),
      ).toEqual([]);
    },
  );

  describe('a privileged root pod with hostPath / and hostNetwork', () => {
    const rootPod = (): Manifest => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'payments' },
      spec: {
        template: {
          spec: {
            hostNetwork: true,
            securityContext: { runAsUser: 0 },
            volumes: [{ name: 'host', hostPath: { path: '/' } }],
            containers: [
              {
                name: 'payments',
                image: 'busybox',
                securityContext: { privileged: true },
                volumeMounts: [{ name: 'host', mountPath: '/host' }],
              },
            ],
          },
        },
      },
    });

    it('reports each violation at restricted', () => {
      const suffix = ' (Pod Security Standard restricted)';
      const object = 'Deployment payments';
      expect(violations([rootPod()])).toEqual([
        {
          object,
          field: `${POD_SPEC}.hostNetwork`,
          rule: `host namespaces are not allowed${suffix}`,
        },
        {
          object,
          field: `${POD_SPEC}.securityContext.runAsUser`,
          rule: `running as user 0 (root) is not allowed${suffix}`,
        },
        {
          object,
          field: `${POD_SPEC}.volumes[0].hostPath`,
          rule: `hostPath volumes are not allowed${suffix}`,
        },
        {
          object,
          field: `${APP_SC}.privileged`,
          rule: `privileged containers are not allowed${suffix}`,
        },
        {
          object,
          field: `${APP_SC}.allowPrivilegeEscalation`,
          rule: `allowPrivilegeEscalation must be false${suffix}`,
        },
        {
          object,
          field: `${APP_SC}.capabilities.drop`,
          rule: `capabilities.drop must include ALL${suffix}`,
        },
        {
          object,
          field: `${APP_SC}.runAsNonRoot`,
          rule: `runAsNonRoot must be true, on the container or on the pod${suffix}`,
        },
        {
          object,
          field: `${APP_SC}.seccompProfile.type`,
          rule: `a seccomp profile of type RuntimeDefault or Localhost is required, on the container or on the pod${suffix}`,
        },
      ]);
    });

    it('reports what baseline forbids at baseline', () => {
      expect(fieldsOf([rootPod()], { podSecurity: 'baseline' })).toEqual([
        `${POD_SPEC}.hostNetwork`,
        `${POD_SPEC}.volumes[0].hostPath`,
        `${APP_SC}.privileged`,
      ]);
    });

    it('reports nothing of the pod at privileged', () => {
      expect(violations([rootPod()], { podSecurity: 'privileged' })).toEqual(
        [],
      );
    });
  });

  describe('at baseline', () => {
    it.each<[string, (pod: any, template: any) => void, string]>([
      ['hostPID', pod => (pod.hostPID = true), `${POD_SPEC}.hostPID`],
      ['hostIPC', pod => (pod.hostIPC = true), `${POD_SPEC}.hostIPC`],
      [
        'a privileged init container',
        pod =>
          (pod.initContainers = [
            { name: 'init', securityContext: { privileged: true } },
          ]),
        `${POD_SPEC}.initContainers[0].securityContext.privileged`,
      ],
      [
        'a privileged ephemeral container',
        pod =>
          (pod.ephemeralContainers = [
            { name: 'debug', securityContext: { privileged: true } },
          ]),
        `${POD_SPEC}.ephemeralContainers[0].securityContext.privileged`,
      ],
      [
        'adding SYS_ADMIN',
        pod =>
          (pod.containers[0].securityContext.capabilities.add = [
            'CHOWN',
            'SYS_ADMIN',
          ]),
        `${APP_SC}.capabilities.add[1]`,
      ],
      [
        'adding NET_RAW',
        pod =>
          (pod.containers[0].securityContext.capabilities.add = ['NET_RAW']),
        `${APP_SC}.capabilities.add[0]`,
      ],
      [
        'a host port',
        pod => (pod.containers[0].ports[0].hostPort = 8080),
        `${APP}.ports[0].hostPort`,
      ],
      [
        'an Unconfined AppArmor profile on the pod',
        pod => (pod.securityContext.appArmorProfile = { type: 'Unconfined' }),
        `${POD_SPEC}.securityContext.appArmorProfile.type`,
      ],
      [
        'an Unconfined AppArmor profile on a container',
        pod =>
          (pod.containers[0].securityContext.appArmorProfile = {
            type: 'Unconfined',
          }),
        `${APP_SC}.appArmorProfile.type`,
      ],
      [
        'the legacy AppArmor annotation set to unconfined',
        (_pod, template) =>
          (template.metadata.annotations = {
            'container.apparmor.security.beta.kubernetes.io/payments':
              'unconfined',
          }),
        "spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/payments']",
      ],
      [
        'SELinux type spc_t',
        pod => (pod.securityContext.seLinuxOptions = { type: 'spc_t' }),
        `${POD_SPEC}.securityContext.seLinuxOptions.type`,
      ],
      [
        'a custom SELinux user',
        pod =>
          (pod.containers[0].securityContext.seLinuxOptions = {
            type: 'container_t',
            user: 'system_u',
          }),
        `${APP_SC}.seLinuxOptions.user`,
      ],
      [
        'a custom SELinux role',
        pod =>
          (pod.containers[0].securityContext.seLinuxOptions = {
            role: 'sysadm_r',
          }),
        `${APP_SC}.seLinuxOptions.role`,
      ],
      [
        'procMount Unmasked',
        pod => (pod.containers[0].securityContext.procMount = 'Unmasked'),
        `${APP_SC}.procMount`,
      ],
      [
        'an Unconfined seccomp profile on the pod',
        pod => (pod.securityContext.seccompProfile = { type: 'Unconfined' }),
        `${POD_SPEC}.securityContext.seccompProfile.type`,
      ],
      [
        'an unsafe sysctl',
        pod =>
          (pod.securityContext.sysctls = [
            { name: 'net.ipv4.tcp_syncookies', value: '1' },
            { name: 'kernel.msgmax', value: '65536' },
          ]),
        `${POD_SPEC}.securityContext.sysctls[1].name`,
      ],
      [
        'a Windows host process',
        pod => (pod.securityContext.windowsOptions = { hostProcess: true }),
        `${POD_SPEC}.securityContext.windowsOptions.hostProcess`,
      ],
      [
        'a probe that calls another host',
        pod =>
          (pod.containers[0].livenessProbe.httpGet.host = '169.254.169.254'),
        `${APP}.livenessProbe.httpGet.host`,
      ],
      [
        'a lifecycle hook that calls another host',
        pod =>
          (pod.containers[0].lifecycle = {
            preStop: { tcpSocket: { host: '10.0.0.1', port: 22 } },
          }),
        `${APP}.lifecycle.preStop.tcpSocket.host`,
      ],
    ])('refuses %s', (_, change, field) => {
      const found = violations([deploymentWith(change)], {
        podSecurity: 'baseline',
      });
      expect(found).toEqual([
        {
          object: 'Deployment payments',
          field,
          rule: expect.stringMatching(/ \(Pod Security Standard baseline\)$/),
        },
      ]);
    });

    it.each<[string, (pod: any, template: any) => void]>([
      [
        'hostNetwork false',
        pod => {
          pod.hostNetwork = false;
          pod.hostPID = false;
        },
      ],
      ['a hostPort of 0', pod => (pod.containers[0].ports[0].hostPort = 0)],
      [
        'adding capabilities of the default set',
        pod =>
          (pod.containers[0].securityContext.capabilities.add = [
            'CHOWN',
            'NET_BIND_SERVICE',
            'SYS_CHROOT',
          ]),
      ],
      [
        'a Localhost seccomp profile',
        pod =>
          (pod.securityContext.seccompProfile = {
            type: 'Localhost',
            localhostProfile: 'profiles/payments.json',
          }),
      ],
      [
        'the legacy AppArmor annotation set to runtime/default',
        (_pod, template) =>
          (template.metadata.annotations = {
            'container.apparmor.security.beta.kubernetes.io/payments':
              'runtime/default',
          }),
      ],
      [
        'SELinux type container_init_t',
        pod =>
          (pod.securityContext.seLinuxOptions = {
            type: 'container_init_t',
            level: 's0:c123,c456',
          }),
      ],
      [
        'procMount Default',
        pod => (pod.containers[0].securityContext.procMount = 'Default'),
      ],
      [
        'safe sysctls',
        pod =>
          (pod.securityContext.sysctls = [
            { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
            { name: 'net.ipv4.tcp_keepalive_time', value: '600' },
          ]),
      ],
      [
        'running as root',
        pod => {
          pod.securityContext = {};
          pod.containers[0].securityContext = { runAsUser: 0 };
        },
      ],
      [
        'an nfs volume',
        pod =>
          (pod.volumes = [
            { name: 'data', nfs: { server: 'nfs', path: '/exports' } },
          ]),
      ],
    ])('allows %s', (_, change) => {
      expect(
        violations([deploymentWith(change)], { podSecurity: 'baseline' }),
      ).toEqual([]);
    });
  });

  describe('at restricted', () => {
    it.each<[string, (pod: any) => void, string[]]>([
      [
        'allowPrivilegeEscalation left unset',
        pod =>
          delete pod.containers[0].securityContext.allowPrivilegeEscalation,
        [`${APP_SC}.allowPrivilegeEscalation`],
      ],
      [
        'allowPrivilegeEscalation true on an init container',
        pod =>
          (pod.initContainers = [
            {
              name: 'migrate',
              securityContext: {
                allowPrivilegeEscalation: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ]),
        [
          `${POD_SPEC}.initContainers[0].securityContext.allowPrivilegeEscalation`,
        ],
      ],
      [
        'capabilities not dropped',
        pod => delete pod.containers[0].securityContext.capabilities,
        [`${APP_SC}.capabilities.drop`],
      ],
      [
        'adding CHOWN, which baseline allows',
        pod =>
          (pod.containers[0].securityContext.capabilities.add = [
            'NET_BIND_SERVICE',
            'CHOWN',
          ]),
        [`${APP_SC}.capabilities.add[1]`],
      ],
      [
        'runAsNonRoot on neither pod nor container',
        pod => delete pod.securityContext.runAsNonRoot,
        [`${APP_SC}.runAsNonRoot`],
      ],
      [
        'runAsUser 0 on a container',
        pod => (pod.containers[0].securityContext.runAsUser = 0),
        [`${APP_SC}.runAsUser`],
      ],
      [
        'no seccomp profile',
        pod => delete pod.securityContext.seccompProfile,
        [`${APP_SC}.seccompProfile.type`],
      ],
      [
        'an nfs volume',
        pod =>
          (pod.volumes = [
            { name: 'cache', emptyDir: {} },
            { name: 'data', nfs: { server: 'nfs', path: '/exports' } },
          ]),
        [`${POD_SPEC}.volumes[1].nfs`],
      ],
      [
        'a gitRepo volume',
        pod =>
          (pod.volumes = [
            { name: 'src', gitRepo: { repository: 'https://x/y.git' } },
          ]),
        [`${POD_SPEC}.volumes[0].gitRepo`],
      ],
      [
        'a second container without a securityContext',
        pod => (pod.containers[1] = { name: 'sidecar', image: 'envoy' }),
        [
          `${POD_SPEC}.containers[1].securityContext.allowPrivilegeEscalation`,
          `${POD_SPEC}.containers[1].securityContext.capabilities.drop`,
        ],
      ],
    ])('refuses %s', (_, change, fields) => {
      const found = violations([deploymentWith(change)]);
      expect(found.map(v => v.field)).toEqual(fields);
      for (const violation of found) {
        expect(violation.rule).toMatch(
          / \(Pod Security Standard restricted\)$/,
        );
      }
    });

    it.each<[string, (pod: any) => void]>([
      [
        'the volume types restricted allows',
        pod =>
          (pod.volumes = [
            { name: 'a', configMap: { name: 'payments' } },
            { name: 'b', csi: { driver: 'secrets-store.csi.k8s.io' } },
            { name: 'c', downwardAPI: { items: [] } },
            { name: 'd', emptyDir: {} },
            { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
            { name: 'f', persistentVolumeClaim: { claimName: 'data' } },
            { name: 'g', projected: { sources: [] } },
            { name: 'h', secret: { secretName: 'payments' } },
            { name: 'i', image: { reference: 'ghcr.io/acme/model:1' } },
            // The API server defaults a volume without a source to emptyDir.
            { name: 'j' },
          ]),
      ],
      [
        'adding NET_BIND_SERVICE',
        pod =>
          (pod.containers[0].securityContext.capabilities.add = [
            'NET_BIND_SERVICE',
          ]),
      ],
      ['a non-zero runAsUser', pod => (pod.securityContext.runAsUser = 10001)],
      [
        'a Windows pod without the Linux-only fields',
        pod => {
          pod.os = { name: 'windows' };
          pod.securityContext = { runAsNonRoot: true };
          pod.containers[0].securityContext = {};
        },
      ],
    ])('allows %s', (_, change) => {
      expect(violations([deploymentWith(change)])).toEqual([]);
    });
  });

  describe('container values over pod values, as Pod Security Admission reads them', () => {
    const SECCOMP = { seccompProfile: { type: 'RuntimeDefault' } };

    it.each<[string, any, any[], string[]]>([
      [
        'runAsNonRoot true on every container and not on the pod',
        { ...SECCOMP },
        [{ runAsNonRoot: true }, { runAsNonRoot: true }],
        [],
      ],
      [
        'runAsNonRoot true on one container only',
        { ...SECCOMP },
        [{ runAsNonRoot: true }, {}],
        ['containers[1].securityContext.runAsNonRoot'],
      ],
      [
        'runAsNonRoot true on the pod, false on a container',
        { ...SECCOMP, runAsNonRoot: true },
        [{}, { runAsNonRoot: false }],
        ['containers[1].securityContext.runAsNonRoot'],
      ],
      [
        'runAsNonRoot false on the pod even though every container sets true',
        { ...SECCOMP, runAsNonRoot: false },
        [{ runAsNonRoot: true }, { runAsNonRoot: true }],
        ['securityContext.runAsNonRoot'],
      ],
      [
        'runAsNonRoot false on the pod and unset on containers, reported once',
        { ...SECCOMP, runAsNonRoot: false },
        [{}, {}],
        ['securityContext.runAsNonRoot'],
      ],
      [
        'runAsUser 0 on the pod even though every container overrides it',
        { ...SECCOMP, runAsNonRoot: true, runAsUser: 0 },
        [{ runAsUser: 1000 }, { runAsUser: 1000 }],
        ['securityContext.runAsUser'],
      ],
      [
        'runAsUser 0 on a container under a non-root pod user',
        { ...SECCOMP, runAsNonRoot: true, runAsUser: 1000 },
        [{}, { runAsUser: 0 }],
        ['containers[1].securityContext.runAsUser'],
      ],
      [
        'seccomp RuntimeDefault and Localhost on every container only',
        { runAsNonRoot: true },
        [
          { seccompProfile: { type: 'RuntimeDefault' } },
          { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } },
        ],
        [],
      ],
      [
        'seccomp on one container only',
        { runAsNonRoot: true },
        [{ seccompProfile: { type: 'RuntimeDefault' } }, {}],
        ['containers[1].securityContext.seccompProfile.type'],
      ],
      [
        'seccomp Unconfined on the pod even though every container overrides it',
        { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } },
        [
          { seccompProfile: { type: 'RuntimeDefault' } },
          { seccompProfile: { type: 'RuntimeDefault' } },
        ],
        ['securityContext.seccompProfile.type'],
      ],
      [
        'seccomp RuntimeDefault on the pod, Unconfined on a container',
        { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        [{}, { seccompProfile: { type: 'Unconfined' } }],
        ['containers[1].securityContext.seccompProfile.type'],
      ],
    ])('%s', (_, podSecurityContext, containerContexts, fields) => {
      const deployment = deploymentWith(pod => {
        pod.securityContext = podSecurityContext;
        pod.containers = containerContexts.map((securityContext, index) => ({
          name: `c${index}`,
          image: 'app',
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            ...securityContext,
          },
        }));
      });
      expect(fieldsOf([deployment])).toEqual(
        fields.map(f => `${POD_SPEC}.${f}`),
      );
    });
  });

  describe('Services', () => {
    it.each(['LoadBalancer', 'NodePort', 'ExternalName'])(
      'refuses type %s by default and allows it when listed',
      type => {
        const service = manifestWith(goldenService(), spec => {
          spec.type = type;
        });
        expect(violations([service])).toEqual([
          {
            object: 'Service payments',
            field: 'spec.type',
            rule: `Service type ${type} is not allowed; platform.kubernetes.policy.allowedServiceTypes allows ClusterIP`,
          },
        ]);
        expect(
          violations([service], {
            allowedServiceTypes: ['ClusterIP', type],
          }),
        ).toEqual([]);
      },
    );

    it.each<[string, string[], string[]]>([
      ['ClusterIP', ['ClusterIP'], []],
      ['ClusterIP', ['LoadBalancer'], ['spec.type']],
      ['LoadBalancer', [], ['spec.type']],
    ])('checks type %s against %j', (type, allowedServiceTypes, fields) => {
      const service = manifestWith(goldenService(), spec => {
        spec.type = type;
      });
      expect(fieldsOf([service], { allowedServiceTypes })).toEqual(fields);
    });

    it('refuses externalIPs even when the type is allowed (CVE-2020-8554)', () => {
      const service = manifestWith(goldenService(), spec => {
        spec.type = 'LoadBalancer';
        spec.externalIPs = ['8.8.8.8'];
      });
      expect(
        violations([service], {
          allowedServiceTypes: ['ClusterIP', 'LoadBalancer'],
        }),
      ).toEqual([
        {
          object: 'Service payments',
          field: 'spec.externalIPs',
          rule: expect.stringContaining('CVE-2020-8554'),
        },
      ]);
    });
  });

  describe('Ingresses', () => {
    it('refuses any Ingress until an ingress domain is configured', () => {
      expect(
        violations([goldenIngress()], { ingressDomain: undefined }),
      ).toEqual([
        {
          object: 'Ingress payments',
          field: 'kind',
          rule: 'no Ingress is allowed until platform.kubernetes.policy.ingressDomain is configured',
        },
      ]);
    });

    it.each<
      [string, (spec: any, metadata: Manifest['metadata']) => void, string[]]
    >([
      [
        "another service's host",
        spec => (spec.rules[0].host = 'billing.apps.example.com'),
        ['spec.rules[0].host'],
      ],
      [
        "another service's host on TLS only",
        spec => (spec.tls[0].hosts = ['billing.apps.example.com']),
        ['spec.tls[0].hosts[0]'],
      ],
      [
        'a host under another domain',
        spec => (spec.rules[0].host = 'payments.example.org'),
        ['spec.rules[0].host'],
      ],
      [
        'a wildcard host',
        spec => (spec.rules[0].host = '*.apps.example.com'),
        ['spec.rules[0].host'],
      ],
      [
        'a rule without a host, which catches every host',
        spec => delete spec.rules[0].host,
        ['spec.rules[0].host'],
      ],
      [
        'a second rule for another host',
        spec =>
          spec.rules.push({
            host: 'admin.apps.example.com',
            http: spec.rules[0].http,
          }),
        ['spec.rules[1].host'],
      ],
      [
        'a TLS entry without hosts',
        spec => (spec.tls = [{ secretName: 'wildcard' }]),
        ['spec.tls[0].hosts'],
      ],
      [
        'a default backend',
        spec =>
          (spec.defaultBackend = {
            service: { name: 'payments', port: { name: 'http' } },
          }),
        ['spec.defaultBackend'],
      ],
      [
        'an unlisted annotation',
        (_spec, metadata) =>
          (metadata.annotations = {
            'nginx.ingress.kubernetes.io/configuration-snippet':
              'more_set_headers "X: y";',
          }),
        [
          "metadata.annotations['nginx.ingress.kubernetes.io/configuration-snippet']",
        ],
      ],
    ])('refuses %s', (_, change, fields) => {
      expect(fieldsOf([manifestWith(goldenIngress(), change)])).toEqual(fields);
    });

    it.each<[string, (spec: any, metadata: Manifest['metadata']) => void]>([
      [
        'the host in other letter case',
        spec => {
          spec.rules[0].host = 'Payments.Apps.Example.com';
          spec.tls[0].hosts = ['PAYMENTS.apps.example.com'];
        },
      ],
      ['no TLS', spec => delete spec.tls],
      [
        'a listed annotation',
        (_spec, metadata) =>
          (metadata.annotations = {
            'cert-manager.io/cluster-issuer': 'letsencrypt',
          }),
      ],
      [
        "the platform's own annotations",
        (_spec, metadata) =>
          (metadata.annotations = {
            'platform.internal/created-by-task': 'task-1',
            'platform.internal/owner-ref': 'group:default/payments-team',
          }),
      ],
    ])('allows %s', (_, change) => {
      expect(
        violations([manifestWith(goldenIngress(), change)], {
          allowedIngressAnnotations: ['cert-manager.io/cluster-issuer'],
        }),
      ).toEqual([]);
    });

    it('compares the domain from config without regard to case', () => {
      expect(
        violations([goldenIngress()], { ingressDomain: 'Apps.Example.COM' }),
      ).toEqual([]);
    });

    it('names the expected host in the rule', () => {
      const ingress = manifestWith(goldenIngress(), spec => {
        spec.rules[0].host = 'billing.apps.example.com';
      });
      expect(violations([ingress])[0].rule).toBe(
        "host billing.apps.example.com is not allowed; this service's host is payments.apps.example.com",
      );
    });
  });

  it('lists the violations of all manifests in manifest order', () => {
    const deployment = deploymentWith(pod => (pod.hostPID = true));
    const service = manifestWith(goldenService(), spec => {
      spec.type = 'NodePort';
    });
    const ingress = manifestWith(goldenIngress(), spec => {
      spec.defaultBackend = { service: { name: 'x', port: { number: 80 } } };
    });
    expect(
      violations([deployment, service, ingress]).map(
        v => `${v.object}: ${v.field}`,
      ),
    ).toEqual([
      `Deployment payments: ${POD_SPEC}.hostPID`,
      'Service payments: spec.type',
      'Ingress payments: spec.defaultBackend',
    ]);
  });
});

describe('assertDeploymentPolicy', () => {
  it('returns when every manifest complies', () => {
    expect(
      assertDeploymentPolicy({
        manifests: [goldenDeployment(), goldenService(), goldenIngress()],
        service: 'payments',
        settings: SETTINGS,
      }),
    ).toBeUndefined();
  });

  it('throws one InputError that lists every violation', () => {
    const deployment = deploymentWith(pod => (pod.hostNetwork = true));
    const service = manifestWith(goldenService(), spec => {
      spec.type = 'LoadBalancer';
    });
    const run = () =>
      assertDeploymentPolicy({
        manifests: [deployment, service],
        service: 'payments',
        settings: SETTINGS,
      });
    expect(run).toThrow(InputError);
    expect(run).toThrow(
      [
        'The manifests break the deployment policy in 2 places:',
        `- Deployment payments: ${POD_SPEC}.hostNetwork: host namespaces are not allowed (Pod Security Standard restricted)`,
        '- Service payments: spec.type: Service type LoadBalancer is not allowed; platform.kubernetes.policy.allowedServiceTypes allows ClusterIP',
      ].join('\n'),
    );
  });

  it('says place for a single violation', () => {
    expect(() =>
      assertDeploymentPolicy({
        manifests: [goldenIngress()],
        service: 'payments',
        settings: DEFAULT_DEPLOYMENT_POLICY,
      }),
    ).toThrow(
      /^The manifests break the deployment policy in 1 place:\n- Ingress payments: kind: /,
    );
  });
});

describe('podSecurityLabels', () => {
  it.each<PodSecurityLevel>(['restricted', 'baseline', 'privileged'])(
    'labels a namespace for %s',
    level => {
      expect(podSecurityLabels(level)).toEqual({
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': level,
        'pod-security.kubernetes.io/audit': level,
      });
    },
  );
});
