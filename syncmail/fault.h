/*
 * Crash points for tests: the sanitizer build (make asan, used by make
 * check) compiles them in; the program users build does not.  With
 * SYNCMAIL_FAULT=NAME:N in the environment, the Nth time the point NAME
 * is passed the process kills itself with SIGKILL, exactly as a power cut
 * or kill -9 would stop it there (tests/e2e/t-18-crash-points.sh).
 */
#ifndef SYNCMAIL_FAULT_H
#define SYNCMAIL_FAULT_H

#ifdef SYNCMAIL_FAULTS
void	 fault_point(const char *name);
#else
#define fault_point(name) do { } while (0)
#endif

#endif
