// Public surface of src/transport/: mosh's network layer (OCB keys and sealing, datagrams, RTT, roaming,
// fragments, the SSP sender and receiver over any state that implements SyncState). Knows nothing of terminals;
// other layers import this file, not the modules behind it.
export * from './clock';
export * from './connection';
export * from './datagram';
export * from './fragment';
export * from './instruction';
export * from './key';
export * from './ocb';
export * from './rtt';
export * from './sender';
export * from './state';
export * from './transport';
export * from './waketimer';
