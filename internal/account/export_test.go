package account

// Internals the external tests check.
const DummyHash = dummyHash
