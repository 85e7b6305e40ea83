/*
 * cairn/abi/layout.h — static checks of ABI layouts, for the headers in cairn/abi/ that C (C11)
 * and C++ both read: CAIRN_ABI_ASSERT(condition, message) and CAIRN_ABI_ALIGNOF(type).
 */
#ifndef CAIRN_ABI_LAYOUT_H
#define CAIRN_ABI_LAYOUT_H

#ifdef __cplusplus
#define CAIRN_ABI_ASSERT static_assert
#define CAIRN_ABI_ALIGNOF alignof
#else
#define CAIRN_ABI_ASSERT _Static_assert
#define CAIRN_ABI_ALIGNOF _Alignof
#endif

#endif /* CAIRN_ABI_LAYOUT_H */
