/**
 * Every watch-all config detector, so `watch-all/daemonset-cluster-watch` can take an agent's scope from its
 * config (see kit.ts configScope). Each config rule registers its detector here.
 */
import type { Detector } from './kit.js';

export const DETECTORS: readonly Detector[] = [];
