package pgstore

// HeadLockKey is the advisory lock key writers queue on, for tests that hold it from
// outside.
const HeadLockKey = headLock
