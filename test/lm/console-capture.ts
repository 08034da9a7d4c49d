/**
 * What a CLI command prints with console.log, captured line by line (the console is restored afterwards).
 *
 *   const lines = await consoleLines(() => runLm(['restore', 'ΕΝ[..]Η']));
 */
import { vi } from 'vitest';

export async function consoleLines(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines;
}
