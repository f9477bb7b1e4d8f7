/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <strings.h>
#include <sys/socket.h>

#include "cloud-init-config.h"
#include "names.h"
#include "parse-value.h"
#include "paths.h"

/* Keys that only cloud-init applies are refused without a [cloud-init] section, rather than silently
 * ignored. With 'enabled = no' they are off on purpose (a drop-in may turn the seed off). */
static void check_without_cloud_init(const VmConfig *c, ConfigErrors *errors) {
        for (size_t i = 0; i < c->n_users; i++)
                config_errors_add_at(errors, c->users[i].origin,
                                     "[user.%s] is created by cloud-init: add a [cloud-init] section",
                                     c->users[i].name);
        for (size_t i = 0; i < c->n_nets; i++) {
                const NetConfig *n = &c->nets[i];
                Origin at = n->addresses.n ? n->addresses_origin : n->gateways.n ? n->gateways_origin : n->dns_origin;
                if (net_has_static_config(n))
                        config_errors_add_at(errors, at, "[net.%s]: static addresses are set by cloud-init: "
                                             "add a [cloud-init] section", n->id);
        }
}

static void resolve_hostname(VmConfig *c, ConfigErrors *errors) {
        CloudInitConfig *ci = &c->cloud_init;

        if (ci->fqdn) {
                size_t label = strcspn(ci->fqdn, ".");
                if (!ci->hostname)
                        ci->hostname = xasprintf("%.*s", (int) label, ci->fqdn);
                else if (strlen(ci->hostname) != label || strncasecmp(ci->hostname, ci->fqdn, label) != 0)
                        config_errors_add_at(errors, ci->fqdn_origin, "fqdn '%s' does not start with hostname '%s'",
                                             ci->fqdn, ci->hostname);
        }
        if (!ci->hostname) {
                if (!hostname_is_valid(c->name))
                        config_errors_add_at(
                                errors, ci->origin,
                                "the VM's name '%s' is not a valid host name ('_' is not allowed): set 'hostname'",
                                c->name);
                ci->hostname = xstrdup(c->name);
        }
}

/* Whether the NIC has an address of this family (AF_INET, AF_INET6). */
static bool has_address_of(const NetConfig *n, int family) {
        for (size_t i = 0; i < n->addresses.n; i++)
                if (n->addresses.items[i].family == family)
                        return true;
        return false;
}

static void check_gateways(const NetConfig *n, ConfigErrors *errors) {
        bool seen[2] = {};

        for (size_t i = 0; i < n->gateways.n; i++) {
                const IpAddress *g = &n->gateways.items[i];
                bool v6 = g->family == AF_INET6;
                if (seen[v6])
                        config_errors_add_at(errors, n->gateways_origin, "[net.%s]: more than one IPv%d gateway",
                                             n->id, v6 ? 6 : 4);
                seen[v6] = true;
                if (!has_address_of(n, g->family)) {
                        _cleanup_free_ char *text = ip_address_format(g, false);
                        config_errors_add_at(errors, n->gateways_origin,
                                             "[net.%s]: gateway %s needs an IPv%d 'address' on this NIC",
                                             n->id, text, v6 ? 6 : 4);
                }
        }
}

/* The same address on two NICs (or twice on one) of a VM. Other VMs are host-unique.c's. */
static void check_duplicate_addresses(const VmConfig *c, ConfigErrors *errors) {
        for (size_t i = 0; i < c->n_nets; i++)
                for (size_t k = 0; k < c->nets[i].addresses.n; k++) {
                        const NetConfig *n = &c->nets[i];
                        const IpAddress *a = &n->addresses.items[k];
                        for (size_t j = 0; j <= i; j++)
                                for (size_t l = 0; l < c->nets[j].addresses.n && (j < i || l < k); l++)
                                        if (ip_address_same(a, &c->nets[j].addresses.items[l])) {
                                                _cleanup_free_ char *text = ip_address_format(a, true);
                                                config_errors_add_at(
                                                        errors, n->addresses_origin,
                                                        "[net.%s]: address %s is also an address of [net.%s]", n->id,
                                                        text, c->nets[j].id);
                                        }
                }
}

static void check_nets(const VmConfig *c, ConfigErrors *errors) {
        const CloudInitConfig *ci = &c->cloud_init;

        for (size_t i = 0; i < c->n_nets; i++) {
                const NetConfig *n = &c->nets[i];

                if (!net_has_static_config(n))
                        continue;
                if (ci->network_config_file)
                        config_errors_add_at(
                                errors, ci->network_config_origin,
                                "'network_config_file' replaces the addresses of [net.%s]: use one or the other",
                                n->id);
                if (n->mode == NET_MODE_NONE)
                        config_errors_add_at(errors, n->addresses.n ? n->addresses_origin : n->origin,
                                             "[net.%s]: addresses need a NIC (mode = user or bridge)", n->id);
                check_gateways(n, errors);
        }
        check_duplicate_addresses(c, errors);
}

static void check_seed_path(const VmConfig *c, ConfigErrors *errors) {
        _cleanup_free_ char *seed = vm_seed_path(c->name);

        for (size_t i = 0; i < c->n_cdroms; i++)
                if (streq(c->cdroms[i].id, CLOUD_INIT_CDROM_ID))
                        config_errors_add_at(errors, c->cdroms[i].origin,
                                             "[cdrom.%s] is the cloud-init seed's: choose another ID",
                                             CLOUD_INIT_CDROM_ID);
        for (size_t i = 0; i < c->n_disks; i++)
                if (streq(c->disks[i].path, seed))
                        config_errors_add_at(errors, c->disks[i].path_origin,
                                             "[disk.%s] uses the path of the cloud-init seed, %s", c->disks[i].id,
                                             seed);
        for (size_t i = 0; i < c->n_cdroms; i++)
                if (c->cdroms[i].path && streq(c->cdroms[i].path, seed))
                        config_errors_add_at(errors, c->cdroms[i].origin,
                                             "[cdrom.%s] uses the path of the cloud-init seed, %s", c->cdroms[i].id,
                                             seed);
}

void cloud_init_resolve(VmConfig *c, ConfigErrors *errors) {
        if (!c->cloud_init.enabled) {
                if (!c->cloud_init.origin.file)
                        check_without_cloud_init(c, errors);
                return;
        }
        resolve_hostname(c, errors);
        for (size_t i = 0; i < c->n_users; i++)
                if (!user_name_is_valid(c->users[i].name))
                        config_errors_add_at(errors, c->users[i].origin, "[user.%s]: a user name starts with a letter",
                                             c->users[i].name);
        check_nets(c, errors);
        check_seed_path(c, errors);
}
