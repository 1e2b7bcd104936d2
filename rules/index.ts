/** Every rule of Blast Radius. Adding a rule: its module here, its doc under docs/rules/, its table test. */
import type { Rule } from '../src/rule.js';
import { admissionWebhook } from './blast-radius/admission-webhook.js';
import { daemonsetClusterWatch } from './watch-all/daemonset-cluster-watch.js';

export const RULES: readonly Rule[] = [admissionWebhook, daemonsetClusterWatch];
