-- Runs once, when the data volume is first initialised (docker-entrypoint-initdb.d).
-- The role and database Baton's services and migrations use; CREATEDB lets test harnesses
-- create a database per test file when pointed at this server.
CREATE ROLE baton LOGIN CREATEDB PASSWORD 'baton';
CREATE DATABASE baton OWNER baton;
