/**
 * Table tests of blast-radius/master-node-selector. Each dangerous case has a safe twin next to it.
 * Expected lines are looked up in the case's own YAML (`lineOf`), so a case stays readable when edited.
 */
import { describe, expect, it } from 'vitest';
import { masterNodeSelector } from '../../../rules/blast-radius/master-node-selector.js';
import { CP_AFTER, CP_BEFORE, evalCalico, parseCalicoSelector, WORKER } from '../../../src/nodes.js';
import { annotate, HAS_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { lineContaining, ruleTester, runCase, type ExpectedFinding } from '../../helpers/rule-tester.js';

const lineOf = lineContaining;
const MASTER = 'node-role.kubernetes.io/master';
const CP = 'node-role.kubernetes.io/control-plane';
const UPGRADE = 'kubeadm removes the label "node-role.kubernetes.io/master" from control-plane nodes when it upgrades them to 1.24';

// ---- fixtures -------------------------------------------------------------------------------------

/** Where each kind keeps its pod spec, as YAML lines up to (and including) the `spec:` line of the pod. */
const HEADS: Record<string, { lines: string[]; indent: string }> = {
  Pod: { lines: ['spec:'], indent: '  ' },
  Deployment: { lines: ['spec:', '  selector:', '    matchLabels: {app: app}', '  template:', '    metadata:', '      labels: {app: app}', '    spec:'], indent: '      ' },
  DaemonSet: { lines: ['spec:', '  selector:', '    matchLabels: {app: app}', '  template:', '    metadata:', '      labels: {app: app}', '    spec:'], indent: '      ' },
  StatefulSet: { lines: ['spec:', '  serviceName: app', '  selector:', '    matchLabels: {app: app}', '  template:', '    metadata:', '      labels: {app: app}', '    spec:'], indent: '      ' },
  CronJob: { lines: ['spec:', '  schedule: "0 * * * *"', '  jobTemplate:', '    spec:', '      template:', '        spec:'], indent: '          ' },
};

/** A workload whose pod spec holds `pod` (YAML lines relative to the pod spec) plus one container. */
function workload(kind: string, pod: string[] = [], name = 'app', annotations?: Record<string, string>): string {
  const head = HEADS[kind];
  const meta = ['metadata:', `  name: ${name}`, '  namespace: ops'];
  if (annotations) meta.push('  annotations:', ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  const api = kind === 'Pod' ? 'v1' : kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const body = [...pod, 'containers:', '- name: app', '  image: example.com/app:1.0.0'].map((l) => head.indent + l);
  return [`apiVersion: ${api}`, `kind: ${kind}`, ...meta, ...head.lines, ...body].join('\n') + '\n';
}

const nodeSelector = (labels: Record<string, string>) => ['nodeSelector:', ...Object.entries(labels).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)];

/** Required node affinity: one term per entry, each a list of `key operator [values]` requirements. */
function required(...terms: string[][]): string[] {
  const out = ['affinity:', '  nodeAffinity:', '    requiredDuringSchedulingIgnoredDuringExecution:', '      nodeSelectorTerms:'];
  for (const t of terms) {
    out.push('      - matchExpressions:');
    for (const r of t) {
      const [key, operator, ...values] = r.split(' ');
      out.push(`        - key: ${key}`, `          operator: ${operator}`);
      if (values.length) out.push(`          values: ${JSON.stringify(values.map((v) => (v === '""' ? '' : v)))}`);
    }
  }
  return out;
}

function preferred(...terms: string[][]): string[] {
  const out = ['affinity:', '  nodeAffinity:', '    preferredDuringSchedulingIgnoredDuringExecution:'];
  for (const t of terms) {
    out.push('    - weight: 50', '      preference:', '        matchExpressions:');
    for (const r of t) {
      const [key, operator] = r.split(' ');
      out.push(`        - key: ${key}`, `          operator: ${operator}`);
    }
  }
  return out;
}

const tolerations = (...items: string[]) => ['tolerations:', ...items.map((i) => `- ${i}`)];
const TOL_MASTER = `{key: ${MASTER}, operator: Exists, effect: NoSchedule}`;
const TOL_CP = `{key: ${CP}, operator: Exists, effect: NoSchedule}`;
const TOL_ALL = '{operator: Exists}';

function calicoPeer(fields: Record<string, string>, apiVersion = 'projectcalico.org/v3', name = 'peer-with-rr'): string {
  const lines = [`apiVersion: ${apiVersion}`, 'kind: BGPPeer', 'metadata:', `  name: ${name}`, 'spec:'];
  for (const [k, v] of Object.entries(fields)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join('\n') + '\n';
}

const FILE = 'infra/app.yaml';
const file = (...texts: string[]) => ({ [FILE]: texts.join('---\n') });
const at = (severity: ExpectedFinding['severity'], key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding => ({
  severity,
  key,
  line: lineOf(text, needle, nth),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// Dangerous workloads and their safe twins.
const deployMaster = workload('Deployment', nodeSelector({ [MASTER]: '' }));
const deployCp = workload('Deployment', nodeSelector({ [CP]: '' }));
const dsMaster = workload('DaemonSet', [...nodeSelector({ [MASTER]: '' }), ...tolerations(TOL_MASTER)]);
const dsCp = workload('DaemonSet', [...nodeSelector({ [CP]: '' }), ...tolerations(TOL_MASTER, TOL_CP)]);
const cronMaster = workload('CronJob', nodeSelector({ [MASTER]: 'true' }));
const podMaster = workload('Pod', nodeSelector({ [MASTER]: '', 'kubernetes.io/os': 'linux' }));
const stsBoth = workload('StatefulSet', nodeSelector({ [MASTER]: '', [CP]: '' }));

const reqMaster = workload('Deployment', required([`${MASTER} Exists`]));
const reqMasterIn = workload('Deployment', required([`${MASTER} In ""`, 'kubernetes.io/arch In amd64']));
const reqEither = workload('Deployment', required([`${MASTER} Exists`], [`${CP} Exists`]));
const reqMasterOrZone = workload('Deployment', required([`${MASTER} Exists`], ['topology.kubernetes.io/zone In eu-1a']));
const reqMasterOrWorkers = workload('Deployment', required([`${MASTER} Exists`], [`${CP} DoesNotExist`]));
const dsReqMasterOrWorkers = workload('DaemonSet', required([`${MASTER} Exists`], [`${CP} DoesNotExist`]));

const excludeMaster = workload('Deployment', required([`${MASTER} DoesNotExist`]));
const excludeMasterTolerating = workload('DaemonSet', [...required([`${MASTER} DoesNotExist`]), ...tolerations(TOL_ALL)]);
const excludeMasterPinned = workload('DaemonSet', [...required([`${MASTER} DoesNotExist`, 'example.com/pool In gpu']), ...tolerations(TOL_ALL)]);
const excludeBoth = workload('DaemonSet', [...required([`${MASTER} DoesNotExist`, `${CP} DoesNotExist`]), ...tolerations(TOL_ALL)]);
const excludeCp = workload('DaemonSet', [...required([`${CP} DoesNotExist`]), ...tolerations(TOL_ALL)]);

const prefMaster = workload('Deployment', preferred([`${MASTER} Exists`]));
const prefEither = workload('Deployment', preferred([`${MASTER} Exists`], [`${CP} Exists`]));
const prefMasterOrNotCp = workload('Deployment', preferred([`${MASTER} Exists`], [`${CP} DoesNotExist`]));
const prefMasterAndSsd = workload('Deployment', preferred([`${MASTER} Exists`], ['disktype Exists']));

const dsTolMaster = workload('DaemonSet', tolerations(TOL_MASTER));
const dsTolMasterEqual = workload('DaemonSet', tolerations(`{key: ${MASTER}, effect: NoSchedule}`));
const dsTolBoth = workload('DaemonSet', tolerations(TOL_MASTER, TOL_CP));
const dsTolMasterAll = workload('DaemonSet', tolerations(TOL_MASTER, TOL_ALL));
const dsTolMasterAllNoSchedule = workload('DaemonSet', tolerations(TOL_MASTER, '{operator: Exists, effect: NoSchedule}'));
const dsTolMasterCpNoExecute = workload('DaemonSet', tolerations(TOL_MASTER, `{key: ${CP}, operator: Exists, effect: NoExecute}`));
const deployTolMaster = workload('Deployment', tolerations(TOL_MASTER));
const deployCpTolMaster = workload('Deployment', [...nodeSelector({ [CP]: '' }), ...tolerations(TOL_MASTER)]);
const deployCpTolBoth = workload('Deployment', [...nodeSelector({ [CP]: '' }), ...tolerations(TOL_MASTER, TOL_CP)]);

const peerNode = calicoPeer({ nodeSelector: `has(${MASTER})`, peerIP: '10.0.0.1', asNumber: '64512' });
const peerPeer = calicoPeer({ nodeSelector: 'all()', peerSelector: `${MASTER} == ''` });
const peerCrd = calicoPeer({ peerSelector: `has(${MASTER}) && rack == 'r1'` }, 'crd.projectcalico.org/v1');
const peerEither = calicoPeer({ nodeSelector: 'all()', peerSelector: `has(${MASTER}) || has(${CP})` });
const peerCp = calicoPeer({ nodeSelector: 'all()', peerSelector: `has(${CP})` });
const peerOwnLabel = calicoPeer({ nodeSelector: 'all()', peerSelector: 'has(route-reflector)' });
const peerNotMaster = calicoPeer({ nodeSelector: `!has(${MASTER})`, peerSelector: 'has(route-reflector)' });
const peerNotEither = calicoPeer({ nodeSelector: `!has(${MASTER}) && !has(${CP})`, peerSelector: 'has(route-reflector)' });
const peerMasterOrWorkers = calicoPeer({ nodeSelector: `has(${MASTER}) || !has(${CP})`, peerIP: '10.0.0.1' });
const peerBroken = calicoPeer({ nodeSelector: `has(${MASTER}`, peerIP: '10.0.0.1' });
const metallbPeer = [
  'apiVersion: metallb.io/v1beta2',
  'kind: BGPPeer',
  'metadata:',
  '  name: router',
  'spec:',
  '  nodeSelectors:',
  `  - matchLabels: {${MASTER}: ""}`,
  '',
].join('\n');

const ciliumPolicy = [
  'apiVersion: cilium.io/v2alpha1',
  'kind: CiliumBGPPeeringPolicy',
  'metadata:',
  '  name: rack0',
  'spec:',
  '  nodeSelector:',
  '    matchLabels:',
  `      ${MASTER}: ""`,
  '  virtualRouters: []',
  '',
].join('\n');
const ciliumPolicyCp = ciliumPolicy.replace(MASTER, CP);
const ciliumConfig = [
  'apiVersion: cilium.io/v2',
  'kind: CiliumBGPClusterConfig',
  'metadata:',
  '  name: cilium-bgp',
  'spec:',
  '  nodeSelector:',
  '    matchExpressions:',
  `    - {key: ${MASTER}, operator: Exists}`,
  '  bgpInstances: []',
  '',
].join('\n');
const ciliumConfigBad = ciliumConfig.replace('operator: Exists', 'operator: Present');

ruleTester(masterNodeSelector).run({
  valid: [
    // Safe twins of the nodeSelector cases.
    { name: 'Deployment with nodeSelector on the control-plane label', files: file(deployCp) },
    { name: 'DaemonSet with nodeSelector on control-plane, tolerating both taints', files: file(dsCp) },
    { name: 'nodeSelector on kubernetes.io/os only', files: file(workload('Deployment', nodeSelector({ 'kubernetes.io/os': 'linux' }))) },
    { name: 'a master label in a ConfigMap is not a selector', files: file(['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: x}', 'data:', `  nodeSelector: "${MASTER}"`, ''].join('\n')) },
    // Safe twins of the required-affinity cases.
    { name: 'required affinity: one term per label, ORed', files: file(reqEither) },
    { name: 'required affinity: master OR a zone term still matches nodes', files: file(reqMasterOrZone) },
    { name: 'required affinity excludes by both labels', files: file(excludeBoth) },
    { name: 'required affinity excludes by control-plane', files: file(excludeCp) },
    { name: 'required affinity with an unknown operator never applies', files: file(workload('Deployment', required([`${MASTER} Present`]))) },
    // Safe twins of the preferred-affinity cases.
    { name: 'preferred affinity names both labels', files: file(prefEither) },
    { name: 'preferred affinity on control-plane only', files: file(workload('Deployment', preferred([`${CP} Exists`]))) },
    // Safe twins of the toleration cases.
    { name: 'DaemonSet tolerating both taints', files: file(dsTolBoth) },
    { name: 'DaemonSet tolerating master and everything', files: file(dsTolMasterAll) },
    { name: 'DaemonSet tolerating master and every NoSchedule taint', files: file(dsTolMasterAllNoSchedule) },
    { name: 'Deployment tolerating master only, with no node selection (harmless)', files: file(deployTolMaster) },
    { name: 'Deployment pinned to control-plane tolerating both taints', files: file(deployCpTolBoth) },
    // Safe twins of the BGP cases.
    { name: 'Calico BGPPeer selecting either label', files: file(peerEither) },
    { name: 'Calico BGPPeer selecting control-plane', files: file(peerCp) },
    { name: 'Calico BGPPeer selecting its own label', files: file(peerOwnLabel) },
    { name: 'Calico BGPPeer excluding by both labels', files: file(peerNotEither) },
    { name: 'Calico BGPPeer with an unparsable selector (Calico rejects it)', files: file(peerBroken) },
    { name: 'MetalLB BGPPeer is not Calico', files: file(metallbPeer) },
    { name: 'CiliumBGPPeeringPolicy on control-plane', files: file(ciliumPolicyCp) },
    { name: 'CiliumBGPClusterConfig with an invalid operator (rejected)', files: file(ciliumConfigBad) },
    // A nodeSelector with a non-string value is rejected by the API server.
    { name: 'nodeSelector with a boolean value never applies', files: file(workload('Deployment', [`nodeSelector: {${MASTER}: true}`])) },
    // State semantics: nothing new.
    {
      name: 'annotation-only edit of a Deployment that already selects master',
      base: file(deployMaster),
      files: file(workload('Deployment', nodeSelector({ [MASTER]: '' }), 'app', { 'example.com/owner': 'team-a' })),
    },
    { name: 'unchanged Calico BGPPeer', base: file(peerNode), files: file(peerNode) },
    {
      name: 'a PR fixing the selector to control-plane',
      base: file(deployMaster),
      files: file(deployCp),
    },
    // Odd input.
    {
      name: 'odd input does not throw',
      files: file(
        ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: a}', 'spec: "text"', ''].join('\n'),
        ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: b}', 'spec: {template: [1, 2]}', ''].join('\n'),
        ['apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: c}', 'spec: {template: {spec: {nodeSelector: [a], tolerations: {a: b}, affinity: "x"}}}', ''].join('\n'),
        ['apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: d}', 'spec: {template: {spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "x"}, preferredDuringSchedulingIgnoredDuringExecution: [null, 3]}}}}}', ''].join('\n'),
        ['apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: e}', `spec: {template: {spec: {tolerations: [null, 1, {key: 3}, {key: ${MASTER}, effect: 7}], affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: ${MASTER}}]}]}}}}}}`, ''].join('\n'),
        ['apiVersion: projectcalico.org/v3', 'kind: BGPPeer', 'metadata: {name: f}', 'spec: [1]', ''].join('\n'),
        ['apiVersion: projectcalico.org/v3', 'kind: BGPPeer', 'metadata: {name: g}', `spec: {nodeSelector: {a: 1}, peerSelector: "((((${MASTER}"}`, ''].join('\n'),
        ['apiVersion: cilium.io/v2alpha1', 'kind: CiliumBGPPeeringPolicy', 'metadata: {name: h}', 'spec: {nodeSelector: "x"}', ''].join('\n'),
        ['apiVersion: x/v1', 'kind: constructor', 'metadata: {name: i}', 'spec: {}', ''].join('\n'),
        ['apiVersion: x/v1', 'kind: toString', 'metadata: {name: j}', 'spec: {}', ''].join('\n'),
      ),
    },
  ],
  invalid: [
    {
      name: 'Deployment with nodeSelector on master',
      files: file(deployMaster),
      findings: [at('high', 'nodeSelector', deployMaster, MASTER, [`nodeSelector of Deployment "ops/app" requires the node label "${MASTER}"`, UPGRADE, 'no node matches', 'stays Pending'])],
    },
    {
      name: 'DaemonSet with nodeSelector on master and a master-only toleration',
      files: file(dsMaster),
      findings: [
        at('high', 'nodeSelector', dsMaster, `${MASTER}:`, ['the DaemonSet controller deletes its pods from every node that stops matching, so it runs on no node']),
        at('low', 'tolerations', dsMaster, `key: ${MASTER}`, ['cover the "node-role.kubernetes.io/master" taint but not "node-role.kubernetes.io/control-plane"', 'drops the "node-role.kubernetes.io/master" taint in 1.25']),
      ],
    },
    { name: 'CronJob with nodeSelector master "true" (k3s style)', files: file(cronMaster), findings: [at('high', 'nodeSelector', cronMaster, MASTER, ['CronJob "ops/app"', 'from the next scheduled run on'])] },
    { name: 'Pod with nodeSelector on master and os', files: file(podMaster), findings: [at('high', 'nodeSelector', podMaster, MASTER, ['the pod stays Pending'])] },
    { name: 'StatefulSet requiring both labels (ANDed: still nothing after)', files: file(stsBoth), findings: [at('high', 'nodeSelector', stsBoth, MASTER)] },
    {
      name: 'required affinity on master alone',
      files: file(reqMaster),
      findings: [at('high', 'affinity', reqMaster, `key: ${MASTER}`, ['required node affinity of Deployment "ops/app" selects nodes with "node-role.kubernetes.io/master Exists" and no term accepts "node-role.kubernetes.io/control-plane"'])],
    },
    { name: 'required affinity: master In "" AND arch', files: file(reqMasterIn), findings: [at('high', 'affinity', reqMasterIn, `key: ${MASTER}`, ['"node-role.kubernetes.io/master In"'])] },
    {
      name: 'required affinity: master OR not control-plane (loses only the control-plane nodes)',
      files: file(reqMasterOrWorkers),
      findings: [at('medium', 'affinity', reqMasterOrWorkers, `key: ${MASTER}`, ['no control-plane node matches and new pods no longer land on control-plane nodes'])],
    },
    {
      name: 'DaemonSet: master OR not control-plane',
      files: file(dsReqMasterOrWorkers),
      findings: [at('medium', 'affinity', dsReqMasterOrWorkers, `key: ${MASTER}`, ['the DaemonSet controller deletes its pods from the control-plane nodes'])],
    },
    {
      name: 'required affinity excludes by master, no control-plane toleration',
      files: file(excludeMaster),
      findings: [at('low', 'affinity', excludeMaster, `key: ${MASTER}`, ['keeps its pods off control-plane nodes with "node-role.kubernetes.io/master DoesNotExist"', 'only the "node-role.kubernetes.io/control-plane:NoSchedule" taint'])],
    },
    {
      name: 'required affinity excludes by master, pods tolerate everything',
      files: file(excludeMasterTolerating),
      findings: [at('medium', 'affinity', excludeMasterTolerating, `key: ${MASTER}`, ['they are scheduled there, competing with kube-apiserver and etcd'])],
    },
    {
      name: 'required affinity excludes by master, tolerates everything, but pinned to a pool',
      files: file(excludeMasterPinned),
      findings: [at('low', 'affinity', excludeMasterPinned, `key: ${MASTER}`, ['only its other node requirements'])],
    },
    {
      name: 'preferred affinity on master alone',
      files: file(prefMaster),
      findings: [at('medium', 'preferred-affinity', prefMaster, `key: ${MASTER}`, ['pods still schedule'])],
    },
    {
      name: 'preferred affinity on master, or away from control-plane',
      files: file(prefMasterOrNotCp),
      findings: [at('medium', 'preferred-affinity', prefMasterOrNotCp, `key: ${MASTER}`, ['no preference accepts "node-role.kubernetes.io/control-plane" instead'])],
    },
    {
      name: 'preferred affinity on master plus an unrelated preference',
      files: file(prefMasterAndSsd),
      findings: [at('medium', 'preferred-affinity', prefMasterAndSsd, `key: ${MASTER}`)],
    },
    { name: 'DaemonSet tolerating master only', files: file(dsTolMaster), findings: [at('low', 'tolerations', dsTolMaster, `key: ${MASTER}`, ['runs on no control-plane node'])] },
    { name: 'DaemonSet tolerating master (operator Equal by default) only', files: file(dsTolMasterEqual), findings: [at('low', 'tolerations', dsTolMasterEqual, `key: ${MASTER}`)] },
    {
      name: 'DaemonSet tolerating master, and control-plane for NoExecute only',
      files: file(dsTolMasterCpNoExecute),
      findings: [at('low', 'tolerations', dsTolMasterCpNoExecute, `key: ${MASTER}`)],
    },
    {
      name: 'Deployment pinned to control-plane tolerating master only',
      files: file(deployCpTolMaster),
      findings: [at('medium', 'tolerations', deployCpTolMaster, `key: ${MASTER}`, ['matches no worker', 'stay Pending'])],
    },
    {
      name: 'Calico BGPPeer nodeSelector has(master)',
      files: file(peerNode),
      findings: [
        at('high', 'bgp-peer:nodeSelector', peerNode, 'nodeSelector', [
          `spec.nodeSelector "has(${MASTER})" of Calico BGPPeer "peer-with-rr"`,
          'matches no node: Calico closes these BGP sessions on every node it selected',
          'Reddit, Pi-Day 2023: 314 minutes',
          `kubectl label nodes -l ${CP} ${MASTER}=`,
        ]),
      ],
    },
    { name: 'Calico BGPPeer peerSelector == ""', files: file(peerPeer), findings: [at('high', 'bgp-peer:peerSelector', peerPeer, 'peerSelector', ['route reflectors'])] },
    { name: 'Calico BGPPeer (crd.projectcalico.org) peerSelector has(master) && rack', files: file(peerCrd), findings: [at('high', 'bgp-peer:peerSelector', peerCrd, 'peerSelector')] },
    { name: 'Calico BGPPeer excluding by master only', files: file(peerNotMaster), findings: [at('low', 'bgp-peer:nodeSelector', peerNotMaster, 'nodeSelector', ['they join these BGP sessions'])] },
    {
      name: 'Calico BGPPeer master OR not control-plane',
      files: file(peerMasterOrWorkers),
      findings: [at('medium', 'bgp-peer:nodeSelector', peerMasterOrWorkers, 'nodeSelector', ['matches no control-plane node'])],
    },
    {
      name: 'CiliumBGPPeeringPolicy matchLabels master',
      files: file(ciliumPolicy),
      findings: [at('high', 'bgp-peer:nodeSelector', ciliumPolicy, `${MASTER}:`, ['spec.nodeSelector.matchLabels "node-role.kubernetes.io/master" of CiliumBGPPeeringPolicy "rack0"', 'the Cilium agents on every node it selected stop peering'])],
    },
    { name: 'CiliumBGPClusterConfig matchExpressions master Exists', files: file(ciliumConfig), findings: [at('high', 'bgp-peer:nodeSelector', ciliumConfig, `key: ${MASTER}`, ['spec.nodeSelector ("node-role.kubernetes.io/master Exists")'])] },
    {
      name: 'nodeSelector and required affinity both on master: one finding each',
      files: file(workload('Deployment', [...nodeSelector({ [MASTER]: '' }), ...required([`${MASTER} Exists`])])),
      findings: [
        at('high', 'nodeSelector', workload('Deployment', [...nodeSelector({ [MASTER]: '' }), ...required([`${MASTER} Exists`])]), `${MASTER}:`),
        at('high', 'affinity', workload('Deployment', [...nodeSelector({ [MASTER]: '' }), ...required([`${MASTER} Exists`])]), `key: ${MASTER}`),
      ],
    },
    // State semantics: the PR makes it new.
    { name: 'a PR changing the selector from control-plane to master', base: file(deployCp), files: file(deployMaster), findings: [at('high', 'nodeSelector', deployMaster, MASTER)] },
    {
      name: 'a PR dropping the control-plane term of an ORed pair',
      base: file(reqEither),
      files: file(reqMaster),
      findings: [at('high', 'affinity', reqMaster, `key: ${MASTER}`)],
    },
    {
      name: 'a PR dropping the control-plane toleration of a DaemonSet',
      base: file(dsTolBoth),
      files: file(dsTolMaster),
      findings: [at('low', 'tolerations', dsTolMaster, `key: ${MASTER}`)],
    },
  ],
});

describe('blast-radius/master-node-selector details', () => {
  it('keeps the finding suppressed with the ignore annotation', () => {
    const text = workload('Deployment', nodeSelector({ [MASTER]: '' }), 'app', { 'blast-radius.dev/ignore': 'blast-radius/master-node-selector -- k3s keeps the label' });
    const result = runCase(masterNodeSelector, { name: 'x', files: file(text) });
    expect(result.live).toEqual([]);
    expect(result.suppressed.map((f) => f.key)).toEqual(['nodeSelector']);
  });

  it('names the resource', () => {
    const result = runCase(masterNodeSelector, { name: 'x', files: file(peerNode) });
    expect(result.live.map((f) => f.resource)).toEqual(['BGPPeer/peer-with-rr']);
  });

  it('parses and evaluates Calico selectors like libcalico-go', () => {
    const ev = (s: string) => {
      const ast = parseCalicoSelector(s);
      return ast ? [CP_BEFORE, CP_AFTER, WORKER].map((m) => evalCalico(ast, m)).join('') : 'invalid';
    };
    expect(ev(`has(${MASTER})`)).toBe('TFF');
    expect(ev(`!has(${MASTER})`)).toBe('FTT');
    expect(ev(`!!has(${MASTER})`)).toBe('TFF');
    expect(ev(`${MASTER} == ''`)).toBe('UFF');
    expect(ev(`${MASTER} != 'x'`)).toBe('UTT');
    expect(ev(`${MASTER} in {'', "true"}`)).toBe('UFF');
    expect(ev(`${MASTER} not in {''}`)).toBe('UTT');
    expect(ev(`${MASTER} starts with 't'`)).toBe('UFF');
    expect(ev(`(has(${MASTER}) || has(${CP})) && all()`)).toBe('TTF');
    expect(ev(`has(${MASTER}) && rack == 'a'`)).toBe('UFF');
    expect(ev('global()')).toBe('TTT');
    expect(ev('')).toBe('TTT');
    expect(ev(`has(${MASTER}`)).toBe('invalid');
    expect(ev(`${MASTER} = ''`)).toBe('invalid');
    expect(ev(`${MASTER} == x`)).toBe('invalid');
    expect(ev(`has(${MASTER}) &&`)).toBe('invalid');
    // libcalico-go accepts a trailing comma and an empty set.
    expect(ev(`${MASTER} in {'a',}`)).toBe('UFF');
    expect(ev(`${MASTER} not in {}`)).toBe('UTT');
    expect(ev('('.repeat(500))).toBe('invalid');
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

const CALICO = 'projectcalico+calico/manifests/calico.yaml';
const CSI = 'projectcalico+calico/manifests/csi-driver.yaml';
const NGINX_KIND = 'kubernetes+ingress-nginx/deploy/static/provider/kind/deploy.yaml';

if (HAS_CORPUS) {
  const calico = readCorpus(CALICO);
  const csi = readCorpus(CSI);
  const nginxKind = readCorpus(NGINX_KIND);
  // The csi-node-driver DaemonSet without its control-plane toleration (the comment above the master one
  // says it is kept for "installers [that] may not have been updated").
  const csiCpLine = lineOf(csi, `- key: ${CP}`);
  const csiMasterOnly = csi.split('\n').filter((_, i) => i + 1 < csiCpLine || i + 1 > csiCpLine + 2).join('\n');
  // calico-kube-controllers (a Deployment) without its control-plane toleration.
  const kcCp = calico.split('\n').findIndex((l, i) => l.trim() === `- key: ${CP}` && calico.split('\n')[i - 2]?.trim() === `- key: ${MASTER}`);
  const calicoKcMasterOnly = calico.split('\n').filter((_, i) => i < kcCp || i > kcCp + 1).join('\n');

  describe('real-world variants really change what they claim', () => {
    it('removes exactly the control-plane tolerations', () => {
      expect(csiMasterOnly.split('\n').length).toBe(csi.split('\n').length - 3);
      expect(csiMasterOnly).not.toContain(CP);
      expect(kcCp).toBeGreaterThan(0);
      expect(calicoKcMasterOnly.split('\n').length).toBe(calico.split('\n').length - 2);
    });
  });

  // Expected from RULEBOOK C.4 before the rule ever ran on these files:
  // - calico.yaml: calico-node tolerates everything (keyless NoSchedule / NoExecute), calico-kube-controllers
  //   tolerates master AND control-plane, no nodeSelector names a role label, and the BGPPeer in it is only
  //   a CRD schema → quiet; an annotation-only edit of its DaemonSet → quiet.
  // - csi-driver.yaml: csi-node-driver tolerates both taints → quiet; without the control-plane toleration
  //   it is a DaemonSet tolerating master only → low `tolerations` at the master key.
  // - calico-kube-controllers without the control-plane toleration is a Deployment with no role selection
  //   → quiet (it never needed control-plane nodes).
  // - ingress-nginx kind deploy.yaml: tolerates both taints (operator Equal) → quiet.
  ruleTester(masterNodeSelector).run({
    valid: [
      { name: 'calico.yaml', files: { [CALICO]: calico } },
      { name: 'calico.yaml: annotation-only edit of calico-node', base: { [CALICO]: calico }, files: { [CALICO]: annotate(calico, 'DaemonSet') } },
      { name: 'csi-driver.yaml', files: { [CSI]: csi } },
      { name: 'calico.yaml: calico-kube-controllers tolerating master only', files: { [CALICO]: calicoKcMasterOnly } },
      { name: 'ingress-nginx kind deploy.yaml', files: { [NGINX_KIND]: nginxKind } },
    ],
    invalid: [
      {
        name: 'csi-driver.yaml without the control-plane toleration',
        base: { [CSI]: csi },
        files: { [CSI]: csiMasterOnly },
        findings: [{ severity: 'low', key: 'tolerations', line: lineOf(csiMasterOnly, `- key: ${MASTER}`), messageIncludes: ['DaemonSet "calico-system/csi-node-driver"'] }],
      },
    ],
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
