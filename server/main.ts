// Entry point of dist/server.js, the Node mosh-server (comes with the server issue).
process.stderr.write('vscode-mosh server: not built yet (see the server issue)\n');
process.exit(1);
