/* katalonc-job.exe: runs the rest of its command line as a process in a job object that kills
 * every process in it when its last handle closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE). Only this
 * program holds that handle, so when it dies (katalonc killed, and this program with it through
 * libuv's own job) or ends (the command's first process exited), the command's whole tree dies:
 * the job allows no breakaway. It exits with the command's exit code.
 * The command line after this program's own name is passed on unchanged (libuv quoted it for the
 * command), and so are the inherited handles and the C runtime's fd table (lpReserved2): the
 * command inherits katalonc's extra handles (the license lock) at the same numbers.
 * It ignores Ctrl-C and Ctrl-Break (the console sends them to the command too, and katalonc decides
 * when the run stops), without passing that on: a handler is not inherited, as ignoring would be.
 * Exit codes of its own: 125 with a line on stderr when the job or the command cannot start. */
#include <windows.h>
#include <stdio.h>

static int fail(const char *what) {
  fprintf(stderr, "katalonc-job: %s failed (Windows error %lu)\n", what, GetLastError());
  return 125;
}

static BOOL WINAPI on_console_event(DWORD event) {
  return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

int main(void) {
  SetConsoleCtrlHandler(on_console_event, TRUE);
  /* Skip this program's own name as the C runtime does: quoted up to the next quote, else up to
   * the first blank; argv[0] has no escapes. */
  wchar_t *line = GetCommandLineW();
  if (*line == L'"') {
    line++;
    while (*line && *line != L'"') line++;
    if (*line) line++;
  } else {
    while (*line && *line != L' ' && *line != L'\t') line++;
  }
  while (*line == L' ' || *line == L'\t') line++;
  if (!*line) {
    fprintf(stderr, "usage: katalonc-job <command> [arguments]\n");
    return 125;
  }

  HANDLE job = CreateJobObjectW(NULL, NULL);
  if (!job) return fail("CreateJobObject");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits))
    return fail("SetInformationJobObject");

  STARTUPINFOW startup;
  GetStartupInfoW(&startup);
  PROCESS_INFORMATION process;
  /* Suspended until it is in the job, so that nothing it starts can be outside it. */
  if (!CreateProcessW(NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &startup,
                      &process))
    return fail("CreateProcess");
  if (!AssignProcessToJobObject(job, process.hProcess)) {
    TerminateProcess(process.hProcess, 125);
    return fail("AssignProcessToJobObject");
  }
  ResumeThread(process.hThread);
  CloseHandle(process.hThread);
  WaitForSingleObject(process.hProcess, INFINITE);
  DWORD code = 1;
  GetExitCodeProcess(process.hProcess, &code);
  return (int)code;
}
