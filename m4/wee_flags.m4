# SPDX-License-Identifier: MPL-2.0
#
# WEE_CHECK_CFLAG(FLAG, VARIABLE)
# -------------------------------
# Append FLAG to the shell VARIABLE when the C compiler accepts it without
# any diagnostic.  The probe compiles under -Werror so that a compiler which
# merely warns about an unknown flag (clang: -Wunknown-warning-option, gcc on
# mingw: "visibility attribute not supported") does not get it.  The user's
# CFLAGS stay in effect during the probe and are restored afterwards.
AC_DEFUN([WEE_CHECK_CFLAG],
[AC_MSG_CHECKING([whether $CC accepts $1])
wee_save_CFLAGS=$CFLAGS
CFLAGS="$CFLAGS -Werror $1"
AC_COMPILE_IFELSE([AC_LANG_SOURCE([[int wee_probe(void); int wee_probe(void) { return 0; }]])],
  [AC_MSG_RESULT([yes])
   $2="${$2:+${$2} }$1"],
  [AC_MSG_RESULT([no])])
CFLAGS=$wee_save_CFLAGS
])
