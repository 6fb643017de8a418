//go:build race

package store

// raceDetector slows every memory access: the damage tests stride.
const raceDetector = true
