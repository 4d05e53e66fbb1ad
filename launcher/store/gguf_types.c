#include "util/common.h"

#include "store/gguf.h"

/* Block sizes and bytes per block from llama.cpp's gguf-py/gguf/constants.py
 * (GGML_QUANT_SIZES, which mirrors type_traits in ggml/src/ggml.c), with
 * QK_K = 256:
 *   Q4_K: 2 + 2 + QK_K/2 + 12 = 144    Q6_K: 2 + QK_K/2 + QK_K/4 + QK_K/16 = 210
 *   Q8_0: 2 + 32 = 34                   MXFP4: 1 + 16 = 17 (E8M0 scale)
 * Ids 4, 5 (Q4_2, Q4_3), 31-33 (Q4_0_4_4, ...) and 36-38 (IQ4_NL_4_4, ...)
 * were removed from ggml: files holding them cannot be loaded. */
static const struct gguf_type_info types[] = {
    {GGML_TYPE_F32, "F32", 1, 4},
    {GGML_TYPE_F16, "F16", 1, 2},
    {GGML_TYPE_Q4_0, "Q4_0", 32, 2 + 16},
    {GGML_TYPE_Q4_1, "Q4_1", 32, 2 + 2 + 16},
    {GGML_TYPE_Q5_0, "Q5_0", 32, 2 + 4 + 16},
    {GGML_TYPE_Q5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
    {GGML_TYPE_Q8_0, "Q8_0", 32, 2 + 32},
    {GGML_TYPE_Q8_1, "Q8_1", 32, 4 + 4 + 32},
    {GGML_TYPE_Q2_K, "Q2_K", 256, 2 + 2 + 256 / 16 + 256 / 4},
    {GGML_TYPE_Q3_K, "Q3_K", 256, 2 + 256 / 4 + 256 / 8 + 12},
    {GGML_TYPE_Q4_K, "Q4_K", 256, 2 + 2 + 256 / 2 + 12},
    {GGML_TYPE_Q5_K, "Q5_K", 256, 2 + 2 + 256 / 2 + 256 / 8 + 12},
    {GGML_TYPE_Q6_K, "Q6_K", 256, 2 + 256 / 2 + 256 / 4 + 256 / 16},
    {GGML_TYPE_Q8_K, "Q8_K", 256, 4 + 256 + 256 / 8},
    {GGML_TYPE_IQ2_XXS, "IQ2_XXS", 256, 2 + 256 / 4},
    {GGML_TYPE_IQ2_XS, "IQ2_XS", 256, 2 + 256 / 4 + 256 / 32},
    {GGML_TYPE_IQ3_XXS, "IQ3_XXS", 256, 2 + 256 / 4 + 256 / 8},
    {GGML_TYPE_IQ1_S, "IQ1_S", 256, 2 + 256 / 8 + 256 / 16},
    {GGML_TYPE_IQ4_NL, "IQ4_NL", 32, 2 + 16},
    {GGML_TYPE_IQ3_S, "IQ3_S", 256, 2 + 256 / 4 + 256 / 8 + 256 / 32 + 4},
    {GGML_TYPE_IQ2_S, "IQ2_S", 256, 2 + 256 / 4 + 256 / 16},
    {GGML_TYPE_IQ4_XS, "IQ4_XS", 256, 2 + 2 + 256 / 2 + 256 / 64},
    {GGML_TYPE_I8, "I8", 1, 1},
    {GGML_TYPE_I16, "I16", 1, 2},
    {GGML_TYPE_I32, "I32", 1, 4},
    {GGML_TYPE_I64, "I64", 1, 8},
    {GGML_TYPE_F64, "F64", 1, 8},
    {GGML_TYPE_IQ1_M, "IQ1_M", 256, 256 / 8 + 256 / 16 + 256 / 32},
    {GGML_TYPE_BF16, "BF16", 1, 2},
    {GGML_TYPE_TQ1_0, "TQ1_0", 256, 2 + 4 * 13},
    {GGML_TYPE_TQ2_0, "TQ2_0", 256, 2 + 64},
    {GGML_TYPE_MXFP4, "MXFP4", 32, 1 + 16},
    {GGML_TYPE_NVFP4, "NVFP4", 64, 4 + 32},
    {GGML_TYPE_Q1_0, "Q1_0", 128, 2 + 16},
};

const struct gguf_type_info *gguf_tensor_type(uint32_t id)
{
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (types[i].id == id)
            return &types[i];
    return NULL;
}

const struct gguf_type_info *gguf_tensor_type_by_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (strcasecmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

const struct gguf_type_info *gguf_tensor_type_at(size_t i)
{
    return i < ARRAY_SIZE(types) ? &types[i] : NULL;
}

/* llama_ftype from llama.h (mirrored by LlamaFileType in gguf-py's
 * constants.py); names as llama-quantize's command line spells them. */
static const struct {
    uint32_t id;
    const char *name;
} file_types[] = {
    {0, "F32"},     {1, "F16"},      {2, "Q4_0"},     {3, "Q4_1"},       {4, "Q4_1_F16"},
    {7, "Q8_0"},    {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},      {11, "Q3_K_S"},
    {12, "Q3_K_M"}, {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"},    {16, "Q5_K_S"},
    {17, "Q5_K_M"}, {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},    {21, "Q2_K_S"},
    {22, "IQ3_XS"}, {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},    {26, "IQ3_S"},
    {27, "IQ3_M"},  {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},    {31, "IQ1_M"},
    {32, "BF16"},   {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}, {39, "NVFP4"},
    {40, "Q1_0"},
};

const char *gguf_file_type_name(uint32_t ftype)
{
    for (size_t i = 0; i < ARRAY_SIZE(file_types); i++)
        if (file_types[i].id == ftype)
            return file_types[i].name;
    return NULL;
}

static const struct {
    const char *name;
    size_t size;
} value_types[GGUF_TYPE_COUNT] = {
    [GGUF_TYPE_UINT8] = {"u8", 1},    [GGUF_TYPE_INT8] = {"i8", 1},
    [GGUF_TYPE_UINT16] = {"u16", 2},  [GGUF_TYPE_INT16] = {"i16", 2},
    [GGUF_TYPE_UINT32] = {"u32", 4},  [GGUF_TYPE_INT32] = {"i32", 4},
    [GGUF_TYPE_FLOAT32] = {"f32", 4}, [GGUF_TYPE_BOOL] = {"bool", 1},
    [GGUF_TYPE_STRING] = {"str", 0},  [GGUF_TYPE_ARRAY] = {"arr", 0},
    [GGUF_TYPE_UINT64] = {"u64", 8},  [GGUF_TYPE_INT64] = {"i64", 8},
    [GGUF_TYPE_FLOAT64] = {"f64", 8},
};

const char *gguf_type_name(uint32_t type)
{
    return type < GGUF_TYPE_COUNT ? value_types[type].name : NULL;
}

size_t gguf_type_size(uint32_t type)
{
    return type < GGUF_TYPE_COUNT ? value_types[type].size : 0;
}
