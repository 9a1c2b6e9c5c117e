/* error.c - see error.h. */
#include "proto/error.h"

#include <stdio.h>
#include <string.h>

#include "proto/codecs/client/custom_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "proto/frame.h"

#define MG_ERROR_MSG_TYPE 0u

typedef struct err_class {
    int32_t code;
    const char *name;
} err_class;

static const err_class err_classes[] = {
    { MG_ERR_AUTHENTICATION, "com.hazelcast.client.AuthenticationException" },
    { MG_ERR_DISTRIBUTED_OBJECT_DESTROYED,
      "com.hazelcast.spi.exception.DistributedObjectDestroyedException" },
    { MG_ERR_HAZELCAST, "com.hazelcast.core.HazelcastException" },
    { MG_ERR_HAZELCAST_INSTANCE_NOT_ACTIVE,
      "com.hazelcast.core.HazelcastInstanceNotActiveException" },
    { MG_ERR_HAZELCAST_SERIALIZATION,
      "com.hazelcast.nio.serialization.HazelcastSerializationException" },
    { MG_ERR_IO, "java.io.IOException" },
    { MG_ERR_ILLEGAL_ARGUMENT, "java.lang.IllegalArgumentException" },
    { MG_ERR_ILLEGAL_MONITOR_STATE, "java.lang.IllegalMonitorStateException" },
    { MG_ERR_ILLEGAL_STATE, "java.lang.IllegalStateException" },
    { MG_ERR_NULL_POINTER, "java.lang.NullPointerException" },
    { MG_ERR_OPERATION_TIMEOUT, "com.hazelcast.core.OperationTimeoutException" },
    { MG_ERR_PARTITION_MIGRATING, "com.hazelcast.spi.exception.PartitionMigratingException" },
    { MG_ERR_RETRYABLE_HAZELCAST, "com.hazelcast.spi.exception.RetryableHazelcastException" },
    { MG_ERR_RETRYABLE_IO, "com.hazelcast.spi.exception.RetryableIOException" },
    { MG_ERR_TARGET_DISCONNECTED, "com.hazelcast.spi.exception.TargetDisconnectedException" },
    { MG_ERR_TARGET_NOT_MEMBER, "com.hazelcast.spi.exception.TargetNotMemberException" },
    { MG_ERR_UNSUPPORTED_OPERATION, "java.lang.UnsupportedOperationException" },
    { MG_ERR_WRONG_TARGET, "com.hazelcast.spi.exception.WrongTargetException" },
};

const char *mg_err_class_name(int32_t code)
{
    for (size_t i = 0; i < sizeof err_classes / sizeof err_classes[0]; i++)
        if (err_classes[i].code == code)
            return err_classes[i].name;
    return NULL;
}

static mg_bytes cstr(const char *s)
{
    mg_bytes v = { (const uint8_t *)s, s ? strlen(s) : 0 };
    return v;
}

void mg_proto_error_encode(mg_buf *b, int64_t corr, int32_t code, const char *class_name,
                           const char *message)
{
    if (class_name == NULL)
        class_name = mg_err_class_name(code);
    if (class_name == NULL)
        class_name = mg_err_class_name(MG_ERR_HAZELCAST);
    mg_error_holder holder = {
        .error_code = code,
        .class_name = cstr(class_name),
        .message = cstr(message),
        .stack_trace_elements = NULL,
        .n_stack_trace_elements = 0,
    };
    mg_wr w;
    mg_wr_init(&w, b);
    mg_wr_response(&w, MG_ERROR_MSG_TYPE, corr, 0);
    /* The payload is a List_ErrorHolder (the cause chain); memgrid has no
     * causes to report, so the list always holds exactly one holder. */
    mg_enc_error_holder_list(&w, &holder, 1);
    mg_wr_end(&w);
}

void mg_proto_error_unsupported(mg_buf *b, int64_t corr, uint32_t type)
{
    char text[80];
    snprintf(text, sizeof text, "Unrecognized client message received with type: 0x%x", type);
    mg_proto_error_encode(b, corr, MG_ERR_UNSUPPORTED_OPERATION, NULL, text);
}

bool mg_proto_error_text(const uint8_t *msg, size_t len, char *out, size_t cap)
{
    mg_rd r;
    mg_frame f0;
    mg_error_holder_dec e;
    mg_rd_init(&r, msg, len);
    if (len < MG_FRAME_HDR + 4 || mg_get_u32(msg + MG_FRAME_HDR) != 0 || mg_rd_next(&r, &f0) != 0 ||
        mg_rd_list_begin(&r) != 0 || mg_dec_error_holder(&r, &e) != 0)
        return false;
    snprintf(out, cap, "error %d %.*s: %.*s", e.error_code, (int)e.class_name.len,
             (const char *)e.class_name.ptr, e.message.ptr ? (int)e.message.len : 4,
             e.message.ptr ? (const char *)e.message.ptr : "null");
    return true;
}
