// The --stately flags' defaults, apart from stately.ts so that the CLI can
// declare its options without loading @statelyai/inspect and ws.

/** Where Stately's inspector page lives (what `createInspectorServer` embeds by default). */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';
/** `createInspectorServer`'s default port, which `--stately` keeps. */
export const STATELY_DEFAULT_PORT = 8080;
