// Public surface of src/statesync/: the two synchronized states (the user input stream, client to server;
// the terminal state, server to client) and the extensions our client and server negotiate beyond stock mosh
// (history, channels). Other layers import this file, not the modules behind it.
export * from './channels';
export * from './channelwire';
export * from './extensions';
export * from './history';
export * from './historyring';
export * from './hostmessage';
export * from './terminal';
export * from './userstream';
