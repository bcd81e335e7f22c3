/**
 * Why an input file could not be read, in the user's words, for the causes a user makes (a wrong path,
 * a folder, a file of someone else's); undefined for any other, which each command words itself.
 */
export function whyUnreadable(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
      return 'permission denied';
    default:
      return undefined;
  }
}
