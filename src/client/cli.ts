// Entry point of dist/cli.js, the terminal front end (comes with the client issue).
process.stderr.write('vscode-mosh cli: not built yet (see the client issue)\n');
process.exit(1);
