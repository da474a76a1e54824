// Public surface of src/common/: small process-level helpers with no dependency on any layer of ours, that any
// layer, front end or the server may use (as xterm.js's common/). Today: the heap guard.
export * from './heapguard';
