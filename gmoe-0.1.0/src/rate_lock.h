/* rate_lock.h -- one mixrate run at a time in an output directory
 * (mixrate(1), FILES: lock).  Two runs appending to one results.csv cut
 * each other's rows and left a directory that could not be resumed. */
#ifndef GMOE_RATE_LOCK_H
#define GMOE_RATE_LOCK_H

/* Takes OUTDIR/lock: an fcntl write lock on the file, which holds the
 * holder's "pid host start-time" line.  The kernel drops the lock when the
 * holder exits however it ends, so a lock file whose lock nobody holds is
 * stale (a killed run): it is taken over, saying so.  Returns the lock's
 * file descriptor (>= 0), or -1 after printing why: another run holds it
 * (naming its pid, host and start time), or the file cannot be made. */
int rate_lock_take(const char *outdir);

/* Removes the lock file and releases the lock. */
void rate_lock_release(const char *outdir, int fd);

#endif
