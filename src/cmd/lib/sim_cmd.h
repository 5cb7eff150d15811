/* sim_cmd.h — `hansa sim`: run the deterministic simulator, one seed or a campaign. */
#ifndef HANSA_CMD_SIM_CMD_H
#define HANSA_CMD_SIM_CMD_H

/* argv[0] is "sim". Returns 0 when every run is free of violations, 1 when
 * some run has one (each failing seed's replay command is printed), 2 on a
 * usage error. */
int cmd_sim(int argc, char **argv);

#endif
