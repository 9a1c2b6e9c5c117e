/* error.h - error responses of the client protocol (message type 0).
 *
 * The clients pick the error class from the numeric code alone, so the codes
 * below must keep the Hazelcast 4.x/5.x numbering (not the 3.x table).  The
 * class name and message are only shown to the application.
 */
#ifndef MG_PROTO_ERROR_H
#define MG_PROTO_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MG_ERR_UNDEFINED                     0
#define MG_ERR_AUTHENTICATION                3
#define MG_ERR_CALLER_NOT_MEMBER             8   /* retryable */
#define MG_ERR_DISTRIBUTED_OBJECT_DESTROYED 14
#define MG_ERR_HAZELCAST                    18
#define MG_ERR_HAZELCAST_INSTANCE_NOT_ACTIVE 19  /* retryable */
#define MG_ERR_HAZELCAST_SERIALIZATION      21
#define MG_ERR_IO                           22   /* retryable in Go */
#define MG_ERR_ILLEGAL_ARGUMENT             23
#define MG_ERR_ILLEGAL_MONITOR_STATE        26
#define MG_ERR_ILLEGAL_STATE                27
#define MG_ERR_MEMBER_LEFT                  33   /* retryable */
#define MG_ERR_NULL_POINTER                 37
#define MG_ERR_OPERATION_TIMEOUT            38
#define MG_ERR_PARTITION_MIGRATING          39   /* retryable */
#define MG_ERR_RETRYABLE_HAZELCAST          46   /* retryable */
#define MG_ERR_RETRYABLE_IO                 47   /* retryable */
#define MG_ERR_TARGET_DISCONNECTED          52
#define MG_ERR_TARGET_NOT_MEMBER            53   /* retryable */
#define MG_ERR_UNSUPPORTED_OPERATION        61
#define MG_ERR_WRONG_TARGET                 62   /* retryable */
#define MG_ERR_TARGET_NOT_REPLICA           82   /* retryable */
#define MG_ERR_CANNOT_REPLICATE             90   /* retryable */

/* Conventional Java class name for a code, or NULL when memgrid has none. */
const char *mg_err_class_name(int32_t code);

/* Appends a complete error message answering request `corr`: one ErrorHolder
 * with an empty stack trace.  class_name NULL -> mg_err_class_name(code) (or
 * HazelcastException); message NULL -> null message. */
void mg_proto_error_encode(mg_buf *b, int64_t corr, int32_t code, const char *class_name,
                           const char *message);

/* The answer for a message type memgrid does not implement (code 61, with
 * the message text the Java member uses). */
void mg_proto_error_unsupported(mg_buf *b, int64_t corr, uint32_t type);

/* A client's view: when msg (one complete message) is an error response,
 * writes "error CODE CLASS: MESSAGE" to out and returns true. */
bool mg_proto_error_text(const uint8_t *msg, size_t len, char *out, size_t cap);

#endif
