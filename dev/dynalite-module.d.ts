// dynalite ships no types: the module is declared here, and dev/dynalite.ts (the local DynamoDB) types the
// part it uses.
declare module 'dynalite';
