/* Functions that invite buffer overflows or hidden state. Including this file
 * after the system headers turns any use into a compile error; use strbuf
 * (strbuf.h) or snprintf instead. */
#ifndef HALOBOX_BANNED_H
#define HALOBOX_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_halobox

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
