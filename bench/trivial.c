/* bench/trivial.c: the smallest useful FastCGI program, the ceiling for bench/run.sh.
 * It answers every request with a tiny JSON document, so the measured rate is what lighttpd
 * and the FastCGI round trip alone allow on this machine. Built by bench/run.sh with -lfcgi. */
#include <fcgiapp.h>

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n"
			  "Content-Type: application/json\r\n"
			  "\r\n"
			  "{\"hello\":\"world\"}\n",
			  req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
