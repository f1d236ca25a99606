import json
import threading
import unittest
import urllib.error
import urllib.request

from service import create_server, database_from_url

CANARY_URL = "postgres://svc:s3cret-canary@db.internal:5432/orders?sslmode=require"


class ServedTestCase(unittest.TestCase):
    """Serves the service on a free port for each test."""

    database = None

    def setUp(self):
        self.server = create_server(0, self.database)
        self.base_url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class ServiceTest(ServedTestCase):
    def test_healthz_answers_ok(self):
        with urllib.request.urlopen(self.base_url + "/healthz") as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(json.load(response), {"status": "ok"})

    def test_unknown_path_is_not_found(self):
        with self.assertRaises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(self.base_url + "/nope")
        self.assertEqual(raised.exception.code, 404)
        raised.exception.close()

    def test_root_names_no_database_when_there_is_none(self):
        with urllib.request.urlopen(self.base_url + "/") as response:
            self.assertNotIn("database", json.load(response))


class ServiceWithDatabaseTest(ServedTestCase):
    database = database_from_url(CANARY_URL)

    def test_root_names_the_database_but_not_its_credentials(self):
        with urllib.request.urlopen(self.base_url + "/") as response:
            text = response.read().decode("utf-8")
        self.assertEqual(
            json.loads(text)["database"], {"host": "db.internal", "name": "orders"}
        )
        self.assertNotIn("s3cret-canary", text)


class DatabaseUrlTest(unittest.TestCase):
    def test_a_url_that_is_not_postgres_is_refused_without_quoting_it(self):
        with self.assertRaises(ValueError) as raised:
            database_from_url("mysql://svc:s3cret-canary@db.internal/orders")
        self.assertNotIn("s3cret-canary", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
