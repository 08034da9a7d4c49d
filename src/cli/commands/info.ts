// Placeholder until the command is built; replaced by its owner.
import { UserError } from '../errors.js';
export async function run(_argv: string[]): Promise<void> {
  throw new UserError('this command is not built yet');
}
