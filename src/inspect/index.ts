// Public surface of the inspection side (issue 5).
export { startInspectionServer, isLoopbackHost } from './server.js';
export type { InspectionServer, InspectionServerOptions } from './server.js';
export { InspectionHub } from './hub.js';
export type { HubClient, HubClientOptions, InspectionHubOptions, InspectionHubStats } from './hub.js';
export { machineToJSON, guardLabel, describeEventType, transitionLabel, stateValueToString } from './chart.js';
export * from './protocol.js';
