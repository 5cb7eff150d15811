/* init.h — `hansad init`: prepare a node's folders to join a chain. */
#ifndef HANSA_CMD_INIT_H
#define HANSA_CMD_INIT_H

int hansad_init(int argc, char **argv);

#endif
