/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * pcfs, the power-cut file system of tests/e2e/t-41-powercut.sh and
 * t-59-powercut-dests.sh (their rig: lib-pcfs.sh): a FUSE
 * file system (libfuse 3) that keeps only what POSIX promises to keep
 * when the power goes.
 *
 *	pcfs [-l LOG] BACKING MOUNTPOINT
 *
 * At mount the tree under BACKING is read into memory, all of it durable.
 * From then on every change is volatile until the call that POSIX says
 * makes it durable:
 *   - a file's data, size, mode, owner and times: fsync or fdatasync of
 *     that file (either flushes them all);
 *   - a directory's entries (create, mkdir, symlink, link, unlink, rmdir,
 *     rename): fsync of that directory.  A rename across directories
 *     changes both; each becomes durable with its own directory's fsync,
 *     so after a cut the file may have both names, or neither.
 * syncfs(2) never reaches a FUSE file system (the kernel forwards it only
 * to those that opt in, such as virtio-fs), so here it flushes nothing,
 * as on gocryptfs or sshfs.
 *
 * SIGUSR1 is the power cut: the durable view (only durable names, each
 * inode's durable bytes and attributes; two durable names of one inode
 * become two hard links, an inode with no durable name vanishes) replaces
 * the contents of BACKING, then the file system is unmounted and pcfs
 * exits.  SIGTERM, SIGINT or an unmount (fusermount3 -u) is a clean stop:
 * the live view is written instead, as an orderly shutdown flushes
 * everything.  Either way one line goes to LOG (appended):
 *
 *	pcfs cut volatile_files=N volatile_entries=N fsync=N fdatasync=N
 *	    fsyncdir=N files=N dirs=N
 *
 * volatile_files: files with a live name whose data or attributes were
 * not flushed (dropped by a cut); volatile_entries: directory entries
 * added or removed since their directory's last fsync; the sync calls
 * received since the mount; the files and directories written.
 *
 * Limits, none of which syncmail meets: fstat(2) of an open file that has
 * no name left answers ESTALE (libfuse's high-level API finds an inode by
 * its path); only regular files, directories and symbolic links exist;
 * RENAME_EXCHANGE answers EINVAL.  flock(2) is left to the kernel, which
 * then locks locally.
 *
 * Runs in the foreground, single-threaded; built by the test itself:
 *	cc -Wall -Wextra -Werror -o pcfs pcfs.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif

/* What fsync makes durable besides the bytes: the inode's attributes. */
struct meta {
	mode_t		mode;		/* type and permission bits */
	uid_t		uid;
	gid_t		gid;
	struct timespec	atime, mtime;
};

struct node;

struct dent {
	char		*name;
	struct node	*node;
};

struct dlist {
	struct dent	*v;
	size_t		 n, cap;
};

/*
 * One inode.  Nodes are never freed while mounted: a durable entry may
 * still point at a node that lost every live name, and the whole tree of
 * a test round is small.
 */
struct node {
	ino_t		 ino;
	struct meta	 live, dur;
	char		*data;		/* file bytes or symlink target */
	size_t		 size, cap;
	char		*ddata;		/* durable file bytes */
	size_t		 dsize;
	int		 dirty;		/* live differs from dur (files) */
	nlink_t		 nlink;		/* live names (files, symlinks) */
	struct dlist	 lent, dent;	/* live and durable entries (dirs) */
	char		*wpath;		/* written to BACKING here (links) */
	int		 visited;
	struct node	*all;
};

/* An open file: O_APPEND is honoured here, not left to the kernel. */
struct handle {
	struct node	*node;
	int		 flags;
};

static struct node *root, *allnodes;
static ino_t next_ino = 1;
static unsigned long n_fsync, n_fdatasync, n_fsyncdir;
static volatile sig_atomic_t cut;
static const char *mountpoint;

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL) {
		perror("pcfs: malloc");
		exit(1);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void
now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static struct node *
node_new(mode_t mode, uid_t uid, gid_t gid)
{
	struct node *n = xmalloc(sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->ino = next_ino++;
	n->live.mode = mode;
	n->live.uid = uid;
	n->live.gid = gid;
	now(&n->live.mtime);
	n->live.atime = n->live.mtime;
	/* A new inode's durable state is itself, empty: a name made
	 * durable before its data is a 0-byte file, as on ext4. */
	n->dur = n->live;
	n->all = allnodes;
	allnodes = n;
	return n;
}

/* A node for the caller of the current request. */
static struct node *
node_new_ctx(mode_t mode)
{
	struct fuse_context *c = fuse_get_context();

	return node_new(mode, c->uid, c->gid);
}

static struct dent *
dl_find(const struct dlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void
dl_add(struct dlist *l, const char *name, struct node *node)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((l->v = realloc(l->v, l->cap * sizeof(*l->v))) == NULL) {
			perror("pcfs: realloc");
			exit(1);
		}
	}
	l->v[l->n].name = xstrdup(name);
	l->v[l->n].node = node;
	l->n++;
}

/* Removes e, an entry of l; order does not matter to readdir's users. */
static void
dl_del(struct dlist *l, struct dent *e)
{
	free(e->name);
	*e = l->v[--l->n];
}

static void
dl_copy(struct dlist *to, const struct dlist *from)
{
	size_t i;

	for (i = 0; i < to->n; i++)
		free(to->v[i].name);
	to->n = 0;
	for (i = 0; i < from->n; i++)
		dl_add(to, from->v[i].name, from->v[i].node);
}

/* Entries of a that b does not hold with the same node. */
static size_t
dl_missing(const struct dlist *a, const struct dlist *b)
{
	struct dent *e;
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if ((e = dl_find(b, a->v[i].name)) == NULL ||
		    e->node != a->v[i].node)
			n++;
	return n;
}

static int
is_dir(const struct node *n)
{
	return S_ISDIR(n->live.mode);
}

/* The node at path in the live view, or NULL with errno set. */
static struct node *
lookup(const char *path)
{
	struct node *n = root;
	struct dent *e;
	char buf[4096], *p, *save = NULL;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(buf, path);
	for (p = strtok_r(buf, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (!is_dir(n)) {
			errno = ENOTDIR;
			return NULL;
		}
		if ((e = dl_find(&n->lent, p)) == NULL) {
			errno = ENOENT;
			return NULL;
		}
		n = e->node;
	}
	return n;
}

/* The directory holding path's last component, which *name points at. */
static struct node *
lookup_parent(const char *path, const char **name)
{
	char buf[4096];
	const char *slash = strrchr(path, '/');
	struct node *dir;
	size_t len;

	if (slash == NULL || slash[1] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	*name = slash + 1;
	if ((len = (size_t)(slash - path)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	if ((dir = lookup(len ? buf : "/")) == NULL)
		return NULL;
	if (!is_dir(dir)) {
		errno = ENOTDIR;
		return NULL;
	}
	return dir;
}

/*
 * The node an operation is on: the open file's when there is one (an
 * unlinked open file has no path: nullpath_ok, hard_remove), else path's.
 */
static struct node *
node_of(const char *path, struct fuse_file_info *fi, int dir)
{
	if (fi != NULL && fi->fh != 0)
		return dir ? (struct node *)(uintptr_t)fi->fh :
		    ((struct handle *)(uintptr_t)fi->fh)->node;
	if (path == NULL) {
		errno = EBADF;
		return NULL;
	}
	return lookup(path);
}

static void
touch_dir(struct node *dir)
{
	now(&dir->live.mtime);
}

static void
set_size(struct node *n, size_t size)
{
	if (size > n->cap) {
		n->cap = n->cap ? n->cap : 4096;
		while (n->cap < size)
			n->cap *= 2;
		if ((n->data = realloc(n->data, n->cap)) == NULL) {
			perror("pcfs: realloc");
			exit(1);
		}
	}
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	n->dirty = 1;
	now(&n->live.mtime);
}

static int
pc_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct node *n;
	size_t i;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->live.mode;
	st->st_uid = n->live.uid;
	st->st_gid = n->live.gid;
	st->st_atim = n->live.atime;
	st->st_mtim = n->live.mtime;
	st->st_ctim = n->live.mtime;
	st->st_blksize = 4096;
	if (is_dir(n)) {
		st->st_nlink = 2;
		for (i = 0; i < n->lent.n; i++)
			if (is_dir(n->lent.v[i].node))
				st->st_nlink++;
		st->st_size = 4096;
	} else {
		st->st_nlink = n->nlink;
		st->st_size = n->size;
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static int
pc_readlink(const char *path, char *buf, size_t size)
{
	struct node *n;
	size_t len;

	if ((n = lookup(path)) == NULL)
		return -errno;
	if (!S_ISLNK(n->live.mode))
		return -EINVAL;
	len = n->size < size - 1 ? n->size : size - 1;
	memcpy(buf, n->data, len);
	buf[len] = '\0';
	return 0;
}

/* Adds a new node under path's parent; the name is volatile. */
static int
add_new(const char *path, mode_t mode, struct node **out)
{
	struct node *dir, *n;
	const char *name;

	if ((dir = lookup_parent(path, &name)) == NULL)
		return -errno;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (dl_find(&dir->lent, name) != NULL)
		return -EEXIST;
	n = node_new_ctx(mode);
	dl_add(&dir->lent, name, n);
	if (!is_dir(n))
		n->nlink = 1;
	touch_dir(dir);
	*out = n;
	return 0;
}

static int
pc_mknod(const char *path, mode_t mode, dev_t rdev)
{
	struct node *n;

	(void)rdev;
	/* Regular files only: a Maildir holds nothing else. */
	if (!S_ISREG(mode))
		return -EPERM;
	return add_new(path, S_IFREG | (mode & 07777), &n);
}

static int
pc_mkdir(const char *path, mode_t mode)
{
	struct node *n;

	return add_new(path, S_IFDIR | (mode & 07777), &n);
}

static int
pc_symlink(const char *target, const char *path)
{
	struct node *n;
	int rc;

	if ((rc = add_new(path, S_IFLNK | 0777, &n)) != 0)
		return rc;
	/* The target is written with the inode: only the name waits. */
	n->data = xstrdup(target);
	n->size = n->cap = strlen(target);
	return 0;
}

/*
 * unlink and rmdir: the name goes from its directory's live entries
 * (durable only with the directory's next fsync).  want_dir says which
 * of the two was asked for.
 */
static int
remove_name(const char *path, int want_dir)
{
	struct node *dir;
	struct dent *e;
	const char *name;

	if ((dir = lookup_parent(path, &name)) == NULL)
		return -errno;
	if ((e = dl_find(&dir->lent, name)) == NULL)
		return -ENOENT;
	if (is_dir(e->node) != want_dir)
		return want_dir ? -ENOTDIR : -EISDIR;
	if (want_dir && e->node->lent.n != 0)
		return -ENOTEMPTY;
	if (!want_dir)
		e->node->nlink--;
	dl_del(&dir->lent, e);
	touch_dir(dir);
	return 0;
}

static int
pc_unlink(const char *path)
{
	return remove_name(path, 0);
}

static int
pc_rmdir(const char *path)
{
	return remove_name(path, 1);
}

/* renameat2: RENAME_NOREPLACE is what syncmail moves messages with. */
static int
pc_rename(const char *from, const char *to, unsigned int flags)
{
	struct node *fdir, *tdir, *n;
	struct dent *fe, *te;
	const char *fname, *tname;

	if (flags & ~(unsigned int)RENAME_NOREPLACE)
		return -EINVAL;
	if ((fdir = lookup_parent(from, &fname)) == NULL ||
	    (tdir = lookup_parent(to, &tname)) == NULL)
		return -errno;
	if ((fe = dl_find(&fdir->lent, fname)) == NULL)
		return -ENOENT;
	n = fe->node;
	if ((te = dl_find(&tdir->lent, tname)) != NULL) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		/* Two names of one inode: POSIX says do nothing. */
		if (te->node == n)
			return 0;
		if (is_dir(n) && !is_dir(te->node))
			return -ENOTDIR;
		if (!is_dir(n) && is_dir(te->node))
			return -EISDIR;
		if (is_dir(te->node) && te->node->lent.n != 0)
			return -ENOTEMPTY;
		if (!is_dir(te->node))
			te->node->nlink--;
		dl_del(&tdir->lent, te);
	}
	/* Looked up again: deleting the target may have moved it. */
	dl_del(&fdir->lent, dl_find(&fdir->lent, fname));
	dl_add(&tdir->lent, tname, n);
	touch_dir(fdir);
	touch_dir(tdir);
	return 0;
}

static int
pc_link(const char *from, const char *to)
{
	struct node *n, *dir;
	const char *name;

	if ((n = lookup(from)) == NULL)
		return -errno;
	if (is_dir(n))
		return -EPERM;
	if ((dir = lookup_parent(to, &name)) == NULL)
		return -errno;
	if (dl_find(&dir->lent, name) != NULL)
		return -EEXIST;
	dl_add(&dir->lent, name, n);
	n->nlink++;
	touch_dir(dir);
	return 0;
}

static int
pc_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	n->live.mode = (n->live.mode & S_IFMT) | (mode & 07777);
	n->dirty = 1;
	return 0;
}

static int
pc_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	if (uid != (uid_t)-1)
		n->live.uid = uid;
	if (gid != (gid_t)-1)
		n->live.gid = gid;
	n->dirty = 1;
	return 0;
}

static int
pc_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	if (is_dir(n))
		return -EISDIR;
	if (size < 0)
		return -EINVAL;
	set_size(n, (size_t)size);
	return 0;
}

static int
open_node(struct node *n, struct fuse_file_info *fi)
{
	struct handle *h;

	if (is_dir(n))
		return -EISDIR;
	if ((fi->flags & O_TRUNC) && n->size != 0)
		set_size(n, 0);
	h = xmalloc(sizeof(*h));
	h->node = n;
	h->flags = fi->flags;
	fi->fh = (uintptr_t)h;
	return 0;
}

static int
pc_open(const char *path, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = lookup(path)) == NULL)
		return -errno;
	return open_node(n, fi);
}

static int
pc_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct node *n;
	int rc;

	if ((n = lookup(path)) != NULL) {
		if (fi->flags & O_EXCL)
			return -EEXIST;
		return open_node(n, fi);
	}
	if ((rc = add_new(path, S_IFREG | (mode & 07777), &n)) != 0)
		return rc;
	return open_node(n, fi);
}

static int
pc_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	if (off < 0 || (size_t)off >= n->size)
		return 0;
	if (size > n->size - (size_t)off)
		size = n->size - (size_t)off;
	memcpy(buf, n->data + off, size);
	return (int)size;
}

static int
pc_write(const char *path, const char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct node *n = h->node;
	size_t end;

	(void)path;
	if (h->flags & O_APPEND)
		off = (off_t)n->size;
	if (off < 0)
		return -EINVAL;
	end = (size_t)off + size;
	if (end > n->size)
		set_size(n, end);
	memcpy(n->data + off, buf, size);
	n->dirty = 1;
	now(&n->live.mtime);
	return (int)size;
}

static int
pc_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	/* Plenty of room: syncmail checks free space against the sizes. */
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_blocks = 1UL << 24;
	sv->f_bfree = sv->f_bavail = 1UL << 23;
	sv->f_files = 1UL << 20;
	sv->f_ffree = sv->f_favail = 1UL << 19;
	sv->f_namemax = 255;
	return 0;
}

/* close(2) flushes nothing to disk: only fsync does. */
static int
pc_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int
pc_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	free((void *)(uintptr_t)fi->fh);
	return 0;
}

static int
pc_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	if (datasync)
		n_fdatasync++;
	else
		n_fsync++;
	free(n->ddata);
	n->ddata = xmalloc(n->size);
	memcpy(n->ddata, n->data, n->size);
	n->dsize = n->size;
	n->dur = n->live;
	n->dirty = 0;
	return 0;
}

static int
pc_opendir(const char *path, struct fuse_file_info *fi)
{
	struct node *n;

	if ((n = lookup(path)) == NULL)
		return -errno;
	if (!is_dir(n))
		return -ENOTDIR;
	fi->fh = (uintptr_t)n;
	return 0;
}

static int
pc_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct node *dir;
	struct stat st;
	size_t i;

	(void)off;
	(void)flags;
	if ((dir = node_of(path, fi, 1)) == NULL)
		return -errno;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	memset(&st, 0, sizeof(st));
	for (i = 0; i < dir->lent.n; i++) {
		st.st_ino = dir->lent.v[i].node->ino;
		st.st_mode = dir->lent.v[i].node->live.mode;
		if (filler(buf, dir->lent.v[i].name, &st, 0, 0) != 0)
			break;
	}
	return 0;
}

static int
pc_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

/* fsync of a directory: its entries (and its attributes) are durable. */
static int
pc_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct node *dir;

	(void)datasync;
	if ((dir = node_of(path, fi, 1)) == NULL)
		return -errno;
	n_fsyncdir++;
	dl_copy(&dir->dent, &dir->lent);
	dir->dur = dir->live;
	return 0;
}

static int
pc_utimens(const char *path, const struct timespec tv[2],
    struct fuse_file_info *fi)
{
	struct node *n;
	struct timespec t;

	if ((n = node_of(path, fi, 0)) == NULL)
		return -errno;
	now(&t);
	if (tv == NULL) {
		n->live.atime = n->live.mtime = t;
	} else {
		if (tv[0].tv_nsec != UTIME_OMIT)
			n->live.atime = tv[0].tv_nsec == UTIME_NOW ? t : tv[0];
		if (tv[1].tv_nsec != UTIME_OMIT)
			n->live.mtime = tv[1].tv_nsec == UTIME_NOW ? t : tv[1];
	}
	n->dirty = 1;
	return 0;
}

static void *
pc_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Every write reaches us at once, so the daemon's view is the
	 * live one; the kernel must not hold dirty pages of its own. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	cfg->use_ino = 1;
	/* Unlink really unlinks: no .fuse_hidden renames in our tree. */
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	/* Nothing cached in the kernel: st_nlink and names stay exact. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations pc_ops = {
	.init		= pc_init,
	.getattr	= pc_getattr,
	.readlink	= pc_readlink,
	.mknod		= pc_mknod,
	.mkdir		= pc_mkdir,
	.symlink	= pc_symlink,
	.unlink		= pc_unlink,
	.rmdir		= pc_rmdir,
	.rename		= pc_rename,
	.link		= pc_link,
	.chmod		= pc_chmod,
	.chown		= pc_chown,
	.truncate	= pc_truncate,
	.open		= pc_open,
	.create		= pc_create,
	.read		= pc_read,
	.write		= pc_write,
	.statfs		= pc_statfs,
	.flush		= pc_flush,
	.release	= pc_release,
	.fsync		= pc_fsync,
	.opendir	= pc_opendir,
	.readdir	= pc_readdir,
	.releasedir	= pc_releasedir,
	.fsyncdir	= pc_fsyncdir,
	.utimens	= pc_utimens,
};

/* ---- BACKING: loaded at mount, written at exit ---------------------- */

struct seen {
	dev_t		 dev;
	ino_t		 ino;
	struct node	*node;
	struct seen	*next;
};

static struct seen *seen;

static void
meta_of(struct meta *m, const struct stat *st)
{
	m->mode = st->st_mode;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->atime = st->st_atim;
	m->mtime = st->st_mtim;
}

/* Reads the directory dfd into dir, every entry durable.  0 or -1. */
static int
load_dir(int dfd, struct node *dir, const char *path)
{
	struct dirent *de;
	struct stat st;
	struct node *n;
	struct seen *s;
	DIR *d;
	ssize_t got;
	int fd, rc = 0;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		fprintf(stderr, "pcfs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* The dup shares dfd's offset, which an earlier pass moved. */
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			goto fail;
		n = NULL;
		if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			for (s = seen; s != NULL; s = s->next)
				if (s->dev == st.st_dev && s->ino == st.st_ino)
					n = s->node;
		if (n != NULL) {
			/* Another name of a file already loaded. */
			n->nlink++;
		} else if (S_ISDIR(st.st_mode)) {
			n = node_new(st.st_mode, st.st_uid, st.st_gid);
			if ((fd = openat(dfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW)) == -1)
				goto fail;
			rc = load_dir(fd, n, de->d_name);
			close(fd);
			dl_copy(&n->dent, &n->lent);
		} else if (S_ISREG(st.st_mode)) {
			n = node_new(st.st_mode, st.st_uid, st.st_gid);
			if ((fd = openat(dfd, de->d_name, O_RDONLY |
			    O_NOFOLLOW)) == -1)
				goto fail;
			n->cap = n->size = (size_t)st.st_size;
			n->data = xmalloc(n->size);
			got = read(fd, n->data, n->size);
			close(fd);
			if (got != (ssize_t)n->size) {
				fprintf(stderr, "pcfs: %s/%s: short read\n",
				    path, de->d_name);
				rc = -1;
			}
			n->ddata = xmalloc(n->size);
			memcpy(n->ddata, n->data, n->size);
			n->dsize = n->size;
			n->nlink = 1;
			if (st.st_nlink > 1) {
				s = xmalloc(sizeof(*s));
				s->dev = st.st_dev;
				s->ino = st.st_ino;
				s->node = n;
				s->next = seen;
				seen = s;
			}
		} else if (S_ISLNK(st.st_mode)) {
			n = node_new(st.st_mode, st.st_uid, st.st_gid);
			n->data = xmalloc(PATH_MAX);
			if ((got = readlinkat(dfd, de->d_name, n->data,
			    PATH_MAX - 1)) == -1)
				goto fail;
			n->data[got] = '\0';
			n->size = n->cap = (size_t)got;
			n->nlink = 1;
		} else {
			fprintf(stderr, "pcfs: %s/%s: skipped (not a file, "
			    "directory or symbolic link)\n", path, de->d_name);
			continue;
		}
		meta_of(&n->live, &st);
		n->dur = n->live;
		dl_add(&dir->lent, de->d_name, n);
	}
	closedir(d);
	return rc;
fail:
	fprintf(stderr, "pcfs: %s/%s: %s\n", path, de->d_name, strerror(errno));
	closedir(d);
	return -1;
}

/* Removes everything inside the directory dfd.  0 or -1. */
static int
clear_dir(int dfd)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL)
		return -1;
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((fd = openat(dfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW)) == -1) {
				rc = -1;
				break;
			}
			rc = clear_dir(fd);
			close(fd);
			if (rc == 0 && unlinkat(dfd, de->d_name, AT_REMOVEDIR) == -1)
				rc = -1;
		} else if (unlinkat(dfd, de->d_name, 0) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

struct counts {
	unsigned long	files, dirs, volatile_files, volatile_entries;
};

/*
 * Counts what a cut drops, over the live tree: files with unflushed data
 * or attributes, and directory entries that differ from the durable ones.
 */
static void
count_volatile(struct node *dir, struct counts *c)
{
	struct node *n;
	size_t i;

	dir->visited = 1;
	c->volatile_entries += dl_missing(&dir->lent, &dir->dent) +
	    dl_missing(&dir->dent, &dir->lent);
	for (i = 0; i < dir->lent.n; i++) {
		n = dir->lent.v[i].node;
		if (is_dir(n)) {
			if (!n->visited)
				count_volatile(n, c);
		} else if (S_ISREG(n->live.mode) && n->dirty && !n->visited) {
			n->visited = 1;
			c->volatile_files++;
		}
	}
}

static int
write_meta(int dfd, const char *name, const struct meta *m)
{
	struct timespec ts[2];

	ts[0] = m->atime;
	ts[1] = m->mtime;
	if (fchownat(dfd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (!S_ISLNK(m->mode) && fchmodat(dfd, name, m->mode & 07777, 0) == -1) ||
	    utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return 0;
}

/*
 * Writes dir's entries, durable or live, into the directory dfd of
 * BACKING (rootfd), rel being its path there.  0 or -1 (message printed).
 */
static int
write_dir(const struct node *dir, int rootfd, int dfd, const char *rel,
    int durable, struct counts *c)
{
	const struct dlist *l = durable ? &dir->dent : &dir->lent;
	const struct meta *m;
	struct node *n;
	const char *name, *data;
	char path[4096];
	size_t i, size;
	ssize_t w;
	int fd;

	for (i = 0; i < l->n; i++) {
		n = l->v[i].node;
		name = l->v[i].name;
		m = durable ? &n->dur : &n->live;
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
		    name);
		if (is_dir(n)) {
			/* A directory durable in two places (moved, each
			 * parent flushed): a directory has one name. */
			if (n->wpath != NULL)
				continue;
			n->wpath = xstrdup(path);
			c->dirs++;
			if (mkdirat(dfd, name, 0700) == -1 ||
			    (fd = openat(dfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW)) == -1)
				goto fail;
			if (write_dir(n, rootfd, fd, path, durable, c) == -1) {
				close(fd);
				return -1;
			}
			close(fd);
		} else if (n->wpath != NULL) {
			/* Its second name: a hard link, as on the disk. */
			if (linkat(rootfd, n->wpath, dfd, name, 0) == -1)
				goto fail;
			continue;
		} else if (S_ISLNK(n->live.mode)) {
			n->wpath = xstrdup(path);
			if (symlinkat(n->data, dfd, name) == -1)
				goto fail;
		} else {
			n->wpath = xstrdup(path);
			c->files++;
			data = durable ? n->ddata : n->data;
			size = durable ? n->dsize : n->size;
			if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW, 0600)) == -1)
				goto fail;
			for (; size > 0; size -= (size_t)w, data += w)
				if ((w = write(fd, data, size)) <= 0) {
					close(fd);
					goto fail;
				}
			if (close(fd) == -1)
				goto fail;
		}
		if (write_meta(dfd, name, m) == -1)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "pcfs: writing %s: %s\n", path, strerror(errno));
	return -1;
}

/* ---- signals: SIGUSR1 cuts, SIGTERM/SIGINT/SIGHUP stop --------------- */

static sigset_t sigs;

/*
 * Waits for a stop signal, then ends the request loop.  A flag alone
 * could be missed by a loop already blocked reading the next request, so
 * the thread sends one more request itself (a lookup of a name that does
 * not exist): the loop wakes, answers it, and sees that it must end.
 */
static void *
signal_thread(void *arg)
{
	struct fuse *f = arg;
	struct stat st;
	char wake[4096];
	int sig;

	if (sigwait(&sigs, &sig) != 0)
		return NULL;
	if (sig == SIGUSR1)
		cut = 1;
	fuse_exit(f);
	snprintf(wake, sizeof(wake), "%s/.pcfs-wake", mountpoint);
	(void)lstat(wake, &st);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pcfs [-l log] backing mountpoint\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct counts c;
	struct stat st;
	struct fuse *f;
	struct node *n;
	pthread_t tid;
	const char *logpath = NULL, *backing;
	FILE *log;
	int ch, bfd, rc = 0;

	while ((ch = getopt(argc, argv, "l:")) != -1) {
		switch (ch) {
		case 'l':
			logpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	backing = argv[optind];
	mountpoint = argv[optind + 1];

	if ((bfd = open(backing, O_RDONLY | O_DIRECTORY)) == -1) {
		fprintf(stderr, "pcfs: %s: %s\n", backing, strerror(errno));
		return 1;
	}
	if (fstat(bfd, &st) == -1)
		return 1;
	root = node_new(st.st_mode, st.st_uid, st.st_gid);
	meta_of(&root->live, &st);
	root->dur = root->live;
	if (load_dir(bfd, root, backing) == -1)
		return 1;
	dl_copy(&root->dent, &root->lent);

	/* Signals are taken by one thread (see signal_thread), blocked in
	 * the others, the request loop included. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (fuse_opt_add_arg(&args, argv[0]) == -1 ||
	    fuse_opt_add_arg(&args, "-ofsname=pcfs,subtype=pcfs") == -1)
		return 1;
	if ((f = fuse_new(&args, &pc_ops, sizeof(pc_ops), NULL)) == NULL)
		return 1;
	if (fuse_mount(f, mountpoint) == -1) {
		fuse_destroy(f);
		return 1;
	}
	if (pthread_create(&tid, NULL, signal_thread, f) != 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	if (fuse_loop(f) < 0)
		rc = 1;
	/*
	 * Unmounted: a wake-up lookup the loop did not read fails now.  The
	 * thread is done, or still waiting when the stop was an unmount.
	 */
	fuse_unmount(f);
	pthread_cancel(tid);
	pthread_join(tid, NULL);
	fuse_destroy(f);

	memset(&c, 0, sizeof(c));
	count_volatile(root, &c);
	for (n = allnodes; n != NULL; n = n->all)
		n->visited = 0;
	if (clear_dir(bfd) == -1) {
		fprintf(stderr, "pcfs: clearing %s: %s\n", backing,
		    strerror(errno));
		return 1;
	}
	if (write_dir(root, bfd, bfd, "", cut, &c) == -1)
		return 1;
	if (logpath != NULL && (log = fopen(logpath, "a")) != NULL) {
		fprintf(log, "pcfs %s volatile_files=%lu volatile_entries=%lu "
		    "fsync=%lu fdatasync=%lu fsyncdir=%lu files=%lu dirs=%lu\n",
		    cut ? "cut" : "stop", c.volatile_files, c.volatile_entries,
		    n_fsync, n_fdatasync, n_fsyncdir, c.files, c.dirs);
		fclose(log);
	}
	return rc;
}
