// Package fold is shared by the report folds (accountability, emergencies): lenient
// payload reading and the day an act counts on (acttime, through the registry's policy,
// calendar and migration declarations). It is internal so that it stays small.
package fold
