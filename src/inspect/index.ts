// Public surface of the inspection side (issue 5).
export { startInspectionServer, isLoopbackHost } from './server.js';
export type { InspectionServer, InspectionServerOptions } from './server.js';
export { InspectionHub } from './hub.js';
export type { HubClient, HubClientOptions, InspectionHubOptions, InspectionHubStats } from './hub.js';
export { machineToJSON, guardLabel, describeEventType, transitionLabel, stateValueToString } from './chart.js';
export * from './protocol.js';
export { startInspection, openInBrowser } from './session.js';
export type { InspectionOptions, InspectionSession, InspectionContext, InspectedManager } from './session.js';
export { startStatelyBridge, startStatelySender, startPackageRelay, STATELY_INSPECTOR_URL, STATELY_DEFAULT_PORT } from './stately.js';
export type { StatelyBridge, StatelyBridgeOptions, StatelySender, PackageRelay } from './stately.js';
export { buildReplay, inferTransitions } from './replay.js';
export type { ReplayOptions } from './replay.js';
