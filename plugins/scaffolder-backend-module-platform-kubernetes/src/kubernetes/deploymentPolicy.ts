import { InputError } from '@backstage/errors';
import type {
  V1Container,
  V1LifecycleHandler,
  V1ObjectMeta,
  V1PodSecurityContext,
  V1PodSpec,
  V1Probe,
  V1SecurityContext,
  V1Volume,
} from '@kubernetes/client-node';
import { Manifest } from './manifests';

/** @public */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/**
 * What `platform:kubernetes:apply` may deploy (`platform.kubernetes.policy`).
 *
 * @public
 */
export interface DeploymentPolicySettings {
  /** The Pod Security Standard every workload must meet. */
  podSecurity: PodSecurityLevel;
  /** Service types a manifest may use. */
  allowedServiceTypes: string[];
  /** Public services get SERVICE.ingressDomain; without it no Ingress is allowed. */
  ingressDomain?: string;
  /** Annotations an Ingress may carry besides the platform's own. */
  allowedIngressAnnotations: string[];
}

export const DEFAULT_DEPLOYMENT_POLICY: DeploymentPolicySettings = {
  podSecurity: 'restricted',
  allowedServiceTypes: ['ClusterIP'],
  allowedIngressAnnotations: [],
};

export interface PolicyViolation {
  /** Kind and name, e.g. `Deployment payments`. */
  object: string;
  /** Path of the offending field inside the object. */
  field: string;
  /** One plain sentence saying what is not allowed. */
  rule: string;
}

/** @public */
export interface DeploymentPolicyOptions {
  manifests: Manifest[];
  /** The service's name, which its Ingress host must start with. */
  service: string;
  settings: DeploymentPolicySettings;
}

type Report = (field: string, rule: string) => void;

/*
 * The values below follow the Pod Security Admission checks of
 * k8s.io/pod-security-admission/policy. Namespaces are labelled with
 * enforce-version=latest, so the cluster's own version decides what it
 * admits; where the standard grew looser over time (more safe sysctls, the
 * hostUsers: false relaxations of 1.35) the older, stricter reading is kept,
 * so nothing passes here that a supported cluster would refuse only when the
 * ReplicaSet creates its pods, long after the apply looked successful.
 */

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const RESTRICTED_CAPABILITIES = new Set(['NET_BIND_SERVICE']);

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

const PROFILE_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const PROFILES = [
  ['seccompProfile', 'seccomp'],
  ['appArmorProfile', 'AppArmor'],
] as const;

const APPARMOR_ANNOTATION_PREFIX =
  'container.apparmor.security.beta.kubernetes.io/';

// `image` is in PSA's list though not yet in every copy of the documentation.
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const CONTAINER_LISTS = [
  'containers',
  'initContainers',
  'ephemeralContainers',
] as const;

const PLATFORM_ANNOTATION_PREFIX = 'platform.internal/';

/** YAML gives `null` for an empty key; the API server reads it as unset. */
function isSet<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

/** Manifests are unchecked YAML, so a list may be anything. */
function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? value : [];
}

function shown(value: unknown): string {
  return isSet(value) && value !== '' ? String(value) : '(empty)';
}

interface PodCheck {
  level: 'baseline' | 'restricted';
  /** Windows pods cannot set the Linux-only fields restricted requires. */
  windows: boolean;
  /** What containers inherit when they do not set a value of their own. */
  podSecurityContext: V1PodSecurityContext;
  report: Report;
}

/** Checks that apply alike to the pod's and to a container's securityContext. */
function checkSecurityContext(
  securityContext: V1SecurityContext | V1PodSecurityContext | undefined,
  path: string,
  { level, report }: PodCheck,
): void {
  if (!isSet(securityContext)) {
    return;
  }
  const seLinux = securityContext.seLinuxOptions;
  if (isSet(seLinux)) {
    if (!SELINUX_TYPES.has(seLinux.type ?? '')) {
      report(
        `${path}.seLinuxOptions.type`,
        `SELinux type ${seLinux.type} is not allowed; use container_t, container_init_t, container_kvm_t or container_engine_t`,
      );
    }
    if (seLinux.user) {
      report(
        `${path}.seLinuxOptions.user`,
        'a custom SELinux user is not allowed',
      );
    }
    if (seLinux.role) {
      report(
        `${path}.seLinuxOptions.role`,
        'a custom SELinux role is not allowed',
      );
    }
  }
  for (const [field, name] of PROFILES) {
    const profile = securityContext[field];
    if (isSet(profile) && !PROFILE_TYPES.has(profile.type)) {
      report(
        `${path}.${field}.type`,
        `${name} profile type ${shown(
          profile.type,
        )} is not allowed; use RuntimeDefault or Localhost`,
      );
    }
  }
  if (securityContext.windowsOptions?.hostProcess === true) {
    report(
      `${path}.windowsOptions.hostProcess`,
      'Windows host processes are not allowed',
    );
  }
  if (level === 'restricted') {
    const { runAsNonRoot, runAsUser } = securityContext;
    if (isSet(runAsNonRoot) && runAsNonRoot !== true) {
      report(`${path}.runAsNonRoot`, 'runAsNonRoot must be true');
    }
    if (runAsUser === 0) {
      report(`${path}.runAsUser`, 'running as user 0 (root) is not allowed');
    }
  }
}

function checkHostField(
  handler: V1Probe | V1LifecycleHandler | undefined,
  path: string,
  report: Report,
): void {
  for (const action of ['httpGet', 'tcpSocket'] as const) {
    if (handler?.[action]?.host) {
      report(
        `${path}.${action}.host`,
        'probes and lifecycle hooks may not name a host, which the kubelet would call from the node',
      );
    }
  }
}

function checkContainer(
  container: V1Container,
  path: string,
  check: PodCheck,
): void {
  const { level, windows, podSecurityContext, report } = check;
  const securityContext: V1SecurityContext = container.securityContext ?? {};
  const sc = `${path}.securityContext`;

  if (securityContext.privileged === true) {
    report(`${sc}.privileged`, 'privileged containers are not allowed');
  }
  const capabilities = securityContext.capabilities ?? {};
  const allowedCapabilities =
    level === 'restricted' ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
  for (const [index, capability] of list<string>(capabilities.add).entries()) {
    if (!allowedCapabilities.has(capability)) {
      report(
        `${sc}.capabilities.add[${index}]`,
        level === 'restricted'
          ? `capability ${capability} may not be added; only NET_BIND_SERVICE may`
          : `capability ${capability} may not be added; only the default set of the container runtime may`,
      );
    }
  }
  for (const [index, port] of list<{ hostPort?: unknown }>(
    container.ports,
  ).entries()) {
    if (isSet(port?.hostPort) && port.hostPort !== 0) {
      report(`${path}.ports[${index}].hostPort`, 'host ports are not allowed');
    }
  }
  if (
    isSet(securityContext.procMount) &&
    securityContext.procMount !== 'Default'
  ) {
    report(
      `${sc}.procMount`,
      `procMount ${securityContext.procMount} is not allowed; the default /proc masks must stay`,
    );
  }
  for (const probe of [
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
  ] as const) {
    checkHostField(container[probe], `${path}.${probe}`, report);
  }
  for (const hook of ['postStart', 'preStop'] as const) {
    checkHostField(
      container.lifecycle?.[hook],
      `${path}.lifecycle.${hook}`,
      report,
    );
  }
  checkSecurityContext(container.securityContext, sc, check);

  if (level !== 'restricted') {
    return;
  }
  // The API server refuses these Linux-only fields on a Windows pod, which is
  // why PSA does not require them there.
  if (!windows && securityContext.allowPrivilegeEscalation !== false) {
    report(
      `${sc}.allowPrivilegeEscalation`,
      'allowPrivilegeEscalation must be false',
    );
  }
  if (!windows && !list<string>(capabilities.drop).includes('ALL')) {
    report(`${sc}.capabilities.drop`, 'capabilities.drop must include ALL');
  }
  // A container inherits these from the pod; when the pod sets a wrong value
  // that is reported once, on the pod, so only a value missing on both counts
  // here.
  if (
    !isSet(securityContext.runAsNonRoot) &&
    !isSet(podSecurityContext.runAsNonRoot)
  ) {
    report(
      `${sc}.runAsNonRoot`,
      'runAsNonRoot must be true, on the container or on the pod',
    );
  }
  if (
    !windows &&
    !isSet(securityContext.seccompProfile) &&
    !isSet(podSecurityContext.seccompProfile)
  ) {
    report(
      `${sc}.seccompProfile.type`,
      'a seccomp profile of type RuntimeDefault or Localhost is required, on the container or on the pod',
    );
  }
}

function checkVolume(volume: V1Volume, path: string, check: PodCheck): void {
  if (isSet(volume?.hostPath)) {
    check.report(`${path}.hostPath`, 'hostPath volumes are not allowed');
    return;
  }
  if (check.level !== 'restricted') {
    return;
  }
  // A volume that names no source is defaulted to emptyDir by the API server.
  const sources = Object.entries(volume ?? {})
    .filter(([key, value]) => key !== 'name' && isSet(value))
    .map(([key]) => key);
  if (
    sources.length > 0 &&
    !sources.some(s => RESTRICTED_VOLUME_TYPES.has(s))
  ) {
    check.report(
      `${path}.${sources[0]}`,
      `volume type ${sources[0]} is not allowed; use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret`,
    );
  }
}

/**
 * The Pod Security Standards for a Deployment's pod template, evaluated the
 * way Pod Security Admission does: pod-level values are checked where they
 * are set (a wrong pod value is refused even if every container overrides
 * it), and a container without its own value takes the pod's.
 */
function checkPodTemplate(
  manifest: Manifest,
  level: 'baseline' | 'restricted',
  report: Report,
): void {
  const template: { metadata?: V1ObjectMeta; spec?: V1PodSpec } =
    manifest.spec?.template ?? {};
  const pod: V1PodSpec = template.spec ?? { containers: [] };
  const spec = 'spec.template.spec';
  const podSecurityContext: V1PodSecurityContext = pod.securityContext ?? {};
  const check: PodCheck = {
    level,
    windows: pod.os?.name === 'windows',
    podSecurityContext,
    report: (field, rule) =>
      report(field, `${rule} (Pod Security Standard ${level})`),
  };

  for (const namespace of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[namespace] === true) {
      check.report(`${spec}.${namespace}`, 'host namespaces are not allowed');
    }
  }
  checkSecurityContext(pod.securityContext, `${spec}.securityContext`, check);
  for (const [index, sysctl] of list<{ name?: string }>(
    podSecurityContext.sysctls,
  ).entries()) {
    if (!SAFE_SYSCTLS.has(sysctl?.name ?? '')) {
      check.report(
        `${spec}.securityContext.sysctls[${index}].name`,
        `sysctl ${shown(
          sysctl?.name,
        )} is not allowed; only the namespaced, safe sysctls are`,
      );
    }
  }
  for (const [key, value] of Object.entries(
    template.metadata?.annotations ?? {},
  )) {
    if (
      key.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
      isSet(value) &&
      value !== '' &&
      value !== 'runtime/default' &&
      !String(value).startsWith('localhost/')
    ) {
      check.report(
        `spec.template.metadata.annotations['${key}']`,
        `AppArmor profile ${value} is not allowed; use runtime/default or localhost/<profile>`,
      );
    }
  }
  for (const [index, volume] of list<V1Volume>(pod.volumes).entries()) {
    checkVolume(volume, `${spec}.volumes[${index}]`, check);
  }
  for (const containerList of CONTAINER_LISTS) {
    for (const [index, container] of list<V1Container>(
      pod[containerList],
    ).entries()) {
      checkContainer(
        container ?? { name: '' },
        `${spec}.${containerList}[${index}]`,
        check,
      );
    }
  }
}

function checkService(
  manifest: Manifest,
  settings: DeploymentPolicySettings,
  report: Report,
): void {
  const type = manifest.spec?.type ?? 'ClusterIP';
  if (!settings.allowedServiceTypes.includes(type)) {
    report(
      'spec.type',
      `Service type ${type} is not allowed; platform.kubernetes.policy.allowedServiceTypes allows ${
        settings.allowedServiceTypes.join(', ') || 'none'
      }`,
    );
  }
  if (list(manifest.spec?.externalIPs).length > 0) {
    report(
      'spec.externalIPs',
      'externalIPs are not allowed, since they let a Service capture traffic for any address (CVE-2020-8554)',
    );
  }
}

function checkIngress(
  manifest: Manifest,
  service: string,
  settings: DeploymentPolicySettings,
  report: Report,
): void {
  const domain = settings.ingressDomain;
  const host = domain ? `${service}.${domain}`.toLowerCase() : undefined;
  if (!host) {
    report(
      'kind',
      'no Ingress is allowed until platform.kubernetes.policy.ingressDomain is configured',
    );
  }
  const checkHost = (value: unknown, field: string) => {
    if (host && String(value).toLowerCase() !== host) {
      report(
        field,
        `host ${value} is not allowed; this service's host is ${host}`,
      );
    }
  };

  for (const key of Object.keys(manifest.metadata.annotations ?? {})) {
    if (
      !key.startsWith(PLATFORM_ANNOTATION_PREFIX) &&
      !settings.allowedIngressAnnotations.includes(key)
    ) {
      report(
        `metadata.annotations['${key}']`,
        `annotation ${key} is not allowed; platform.kubernetes.policy.allowedIngressAnnotations does not list it`,
      );
    }
  }
  if (isSet(manifest.spec?.defaultBackend)) {
    report(
      'spec.defaultBackend',
      'a default backend is not allowed, since it would answer requests for every host',
    );
  }
  for (const [index, rule] of list<{ host?: string }>(
    manifest.spec?.rules,
  ).entries()) {
    if (!rule?.host) {
      report(
        `spec.rules[${index}].host`,
        `a rule must name ${
          host ? `the host ${host}` : 'a host'
        }, since a rule without a host matches every host`,
      );
    } else {
      checkHost(rule.host, `spec.rules[${index}].host`);
    }
  }
  for (const [index, tls] of list<{ hosts?: string[] }>(
    manifest.spec?.tls,
  ).entries()) {
    const hosts = list<string>(tls?.hosts);
    if (hosts.length === 0) {
      // Without hosts the certificate applies to the controller's wildcard host.
      report(
        `spec.tls[${index}].hosts`,
        `a TLS entry must list ${
          host ? `the host ${host}` : 'its host'
        }, since without hosts it applies to every host`,
      );
    }
    for (const [hostIndex, tlsHost] of hosts.entries()) {
      checkHost(tlsHost, `spec.tls[${index}].hosts[${hostIndex}]`);
    }
  }
}

/** Every violation of every manifest, in manifest order; empty when all comply. */
export function findPolicyViolations(
  options: DeploymentPolicyOptions,
): PolicyViolation[] {
  const { manifests, service, settings } = options;
  const violations: PolicyViolation[] = [];
  for (const manifest of manifests) {
    const object = `${manifest.kind} ${manifest.metadata?.name}`;
    const report: Report = (field, rule) =>
      violations.push({ object, field, rule });
    switch (manifest.kind) {
      case 'Deployment':
        if (settings.podSecurity !== 'privileged') {
          checkPodTemplate(manifest, settings.podSecurity, report);
        }
        break;
      case 'Service':
        checkService(manifest, settings, report);
        break;
      case 'Ingress':
        checkIngress(manifest, service, settings, report);
        break;
      default:
        // checkManifests admits no other kind.
        break;
    }
  }
  return violations;
}

/**
 * Throws one InputError listing every violation (object, field, rule), or returns.
 *
 * @public
 */
export function assertDeploymentPolicy(options: DeploymentPolicyOptions): void {
  const violations = findPolicyViolations(options);
  if (violations.length === 0) {
    return;
  }
  const places = violations.length === 1 ? 'place' : 'places';
  throw new InputError(
    [
      `The manifests break the deployment policy in ${violations.length} ${places}:`,
      ...violations.map(v => `- ${v.object}: ${v.field}: ${v.rule}`),
    ].join('\n'),
  );
}

/**
 * The pod-security.kubernetes.io labels for a namespace at this level, so the
 * API server enforces the same standard on pods the platform did not check.
 */
export function podSecurityLabels(
  level: PodSecurityLevel,
): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/audit': level,
  };
}
