// VS Code entry point: activate/deactivate only. Registers what src/vscode/ provides (comes with the
// extension issue); for now it registers nothing but a log channel command placeholder-free activation.
export function activate(): void {
  // Intentionally empty until src/vscode/ lands (issue: "The VS Code extension").
}

export function deactivate(): void {}
