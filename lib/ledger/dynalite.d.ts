// dynalite ships no types; the ledger's local runner (./local.ts) types what it uses.
declare module 'dynalite';
