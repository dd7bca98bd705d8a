export async function runLarge(_options: { serverUrl: string; writeResults: boolean; log: (line: string) => void }): Promise<void> {
  throw new Error("not yet");
}
