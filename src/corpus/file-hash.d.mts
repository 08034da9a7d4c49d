/** Types of file-hash.mjs (plain JS, shared by the codec threads and the calling thread). */
export function sha256FileSync(file: string): string;
