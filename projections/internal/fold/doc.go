// Package fold is shared by the report folds (accountability, emergencies): lenient
// payload reading and the civil day of an act. It is internal so that it stays small.
package fold
