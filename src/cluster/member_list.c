/* member_list.c - small helpers over member lists and addresses. */
#include "cluster/member_list.h"

#include <stdio.h>
#include <string.h>

#include "util/rand.h"

bool mg_cl_addr_eq(const mg_cl_addr *a, const mg_cl_addr *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

int mg_cl_addr_cmp(const mg_cl_addr *a, const mg_cl_addr *b)
{
    int c = strcmp(a->host, b->host);
    if (c)
        return c;
    return a->port < b->port ? -1 : a->port > b->port;
}

bool mg_cl_addr_set(mg_cl_addr *a, const char *host, uint16_t port)
{
    size_t n = strlen(host);
    if (n > MG_CL_HOST_MAX)
        return false;
    memcpy(a->host, host, n + 1);
    a->port = port;
    return true;
}

void mg_cl_addr_format(const mg_cl_addr *a, char out[MG_CL_ADDR_STR])
{
    if (strchr(a->host, ':'))
        snprintf(out, MG_CL_ADDR_STR, "[%s]:%u", a->host, (unsigned)a->port);
    else
        snprintf(out, MG_CL_ADDR_STR, "%s:%u", a->host, (unsigned)a->port);
}

int mg_cl_list_find(const mg_cl_list *l, const mg_uuid *uuid)
{
    for (int i = 0; i < l->count; i++)
        if (mg_uuid_eq(&l->members[i].uuid, uuid))
            return i;
    return -1;
}

int mg_cl_list_find_addr(const mg_cl_list *l, const mg_cl_addr *addr)
{
    for (int i = 0; i < l->count; i++)
        if (mg_cl_addr_eq(&l->members[i].addr, addr))
            return i;
    return -1;
}

static bool member_eq(const mg_cl_member *a, const mg_cl_member *b)
{
    return mg_uuid_eq(&a->uuid, &b->uuid) && mg_cl_addr_eq(&a->addr, &b->addr) &&
           a->join_seq == b->join_seq && a->flags == b->flags &&
           memcmp(a->version, b->version, sizeof a->version) == 0;
}

bool mg_cl_list_equal(const mg_cl_list *a, const mg_cl_list *b)
{
    if (a->version != b->version || a->count != b->count ||
        !mg_uuid_eq(&a->cluster_id, &b->cluster_id) || !mg_uuid_eq(&a->master, &b->master))
        return false;
    for (int i = 0; i < a->count; i++)
        if (!member_eq(&a->members[i], &b->members[i]))
            return false;
    return true;
}

void mg_cl_list_remove_at(mg_cl_list *l, int i)
{
    if (i < 0 || i >= l->count)
        return;
    memmove(&l->members[i], &l->members[i + 1], (size_t)(l->count - i - 1) * sizeof l->members[0]);
    l->count--;
}
