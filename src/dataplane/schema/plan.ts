// The DDL plan's shape lives with the engines that apply it; the translator re-exports it.
export * from '../../engines/ddl-plan';
